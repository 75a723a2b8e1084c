// The bell: the unread count, kept live from the read models' stream (see notifications.py).
(function () {
  "use strict";
  var bell = document.getElementById("bell");
  if (!bell || !window.fetch) { return; }
  var count = document.getElementById("bell-count");
  var news = document.getElementById("bell-news");
  var shown = null;

  function refresh() {
    fetch(bell.getAttribute("data-count"), { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) { if (!answer.ok) { throw answer; } return answer.json(); })
      .then(function (data) {
        count.textContent = data.unread ? " " + data.unread : "";
        bell.setAttribute("aria-label", "通知，" + data.unread + " 条未读");
        bell.classList.toggle("has-unread", data.unread > 0);
        if (shown !== null && data.unread > shown && data.latest) {
          news.textContent = "新通知：" + data.latest.type +
            (data.latest.case ? " · " + data.latest.case : "");
        }
        shown = data.unread;
      })
      .catch(function () {});
  }

  refresh();
  if (window.EventSource) {
    var stream = new EventSource(bell.getAttribute("data-events"));
    stream.addEventListener("changed", refresh);
  }
})();
