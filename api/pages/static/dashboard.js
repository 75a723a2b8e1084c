/* The supervisor's dashboard: charts drawn with ECharts from the page's data (the
   data-dashboard attribute, then /app/dashboard/data), drawn again whenever the
   server's event stream says the read models moved. Every user-written text goes in
   with textContent, never as HTML. No inline script: the page's CSP allows none. */
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  if (!root || !window.echarts) { return; }

  var COLOURS = { green: "#1a7f37", yellow: "#bf8700", red: "#cf222e" };
  var LIGHT_NAMES = { green: "绿灯", yellow: "黄灯", red: "红灯" };
  var RATE_NAMES = [
    ["on_time_rate", "按时办结率", "#0b5cad"],
    ["response_rate", "响应率", "#8250df"],
    ["resolution_rate", "解决率", "#1a7f37"],
    ["satisfaction_rate", "满意率", "#bf8700"]
  ];
  var charts = {};

  function cases(params) {
    var query = Object.keys(params).map(function (key) {
      return encodeURIComponent(key) + "=" + encodeURIComponent(params[key]);
    });
    return "/app/cases?" + query.join("&");
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%";
  }

  // Bars by group (grid, community, worker): the options every such chart shares.
  // Many groups (a city's grids): the first SHOWN, and a slider to move along the rest.
  var SHOWN = 12;

  function bars(names, series, yAxis) {
    var many = names.length > SHOWN;
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, bottom: many ? 40 : 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: names,
               axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0 } },
      yAxis: yAxis || { type: "value", minInterval: 1 },
      dataZoom: many ? [{ type: "slider", startValue: 0, endValue: SHOWN - 1, height: 20,
                          bottom: 4 }] : [],
      series: series
    };
  }

  function names(rows) { return rows.map(function (r) { return r.name; }); }

  // Each chart: its ECharts option from the data, and where a click on an element leads.
  var DRAW = {
    lights: function (data) {
      var c = data.counts;
      var items = ["green", "yellow", "red"].map(function (light) {
        return { name: LIGHT_NAMES[light], value: c["open_" + light], light: light,
                 itemStyle: { color: COLOURS[light] } };
      });
      return {
        option: {
          tooltip: { trigger: "item", formatter: "{b}：{c} 件（{d}%）" },
          legend: { bottom: 0 },
          series: [{ type: "pie", radius: ["38%", "62%"], center: ["50%", "45%"], data: items,
                     label: { formatter: "{b} {c} 件", overflow: "none" } }]
        },
        link: function (p) { return cases({ open: "true", light: p.data.light }); }
      };
    },
    grids: function (data) {
      var rows = data.open_by_grid;
      return {
        option: bars(names(rows), ["green", "yellow", "red"].map(function (light) {
          return { name: LIGHT_NAMES[light], type: "bar", stack: "open", barMaxWidth: 48,
                   itemStyle: { color: COLOURS[light] },
                   data: rows.map(function (r) { return r[light]; }) };
        })),
        link: function (p) {
          var light = ["green", "yellow", "red"][p.seriesIndex];
          return cases({ open: "true", grid_id: rows[p.dataIndex].grid_id, light: light });
        }
      };
    },
    days: function (data) {
      var days = data.days;
      return {
        option: {
          tooltip: { trigger: "axis" },
          legend: { top: 0 },
          grid: { left: 8, right: 16, bottom: 8, top: 36, containLabel: true },
          xAxis: { type: "category", data: days.map(function (d) { return d.day.slice(5); }) },
          yAxis: { type: "value", minInterval: 1 },
          series: [
            { name: "受理", type: "bar", itemStyle: { color: "#0b5cad" },
              data: days.map(function (d) { return d.received; }) },
            { name: "办结", type: "bar", itemStyle: { color: "#1a7f37" },
              data: days.map(function (d) { return d.closed; }) }
          ]
        },
        // A day's figures are that day's report.
        link: function (p) {
          var day = days[p.dataIndex].day;
          return "/app/reports?from=" + day + "&to=" + day + "&group_by=grid";
        }
      };
    },
    rates_by_community: function (data) {
      return rates(data.rates_by_community, "community_id");
    },
    rates_by_grid: function (data) {
      return rates(data.rates_by_grid, "grid_id");
    },
    workload: function (data) {
      var rows = data.workload.slice(0, 20);
      return {
        option: bars(names(rows), [
          { name: "未逾期", type: "bar", stack: "load", barMaxWidth: 48,
            itemStyle: { color: "#0b5cad" },
            data: rows.map(function (r) { return r.open - r.overdue; }) },
          { name: "逾期", type: "bar", stack: "load", itemStyle: { color: COLOURS.red },
            data: rows.map(function (r) { return r.overdue; }) }
        ]),
        link: function (p) {
          var worker = rows[p.dataIndex].worker;
          return p.seriesIndex === 1 ? cases({ assignee: worker, overdue: "true" })
                                     : cases({ open: "true", assignee: worker });
        }
      };
    }
  };

  function rates(rows, filter) {
    var option = bars(names(rows), RATE_NAMES.map(function (rate) {
      return { name: rate[1], type: "bar", barMaxWidth: 36, itemStyle: { color: rate[2] },
               data: rows.map(function (r) {
                 return r[rate[0]] === null ? null : Math.round(r[rate[0]] * 1000) / 10;
               }) };
    }), { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } });
    option.tooltip.valueFormatter = function (v) { return v === null ? "—" : v + "%"; };
    return {
      option: option,
      link: function (p) {
        var params = {};
        params[filter] = rows[p.dataIndex].group;
        return cases(params);
      }
    };
  }

  function draw(data) {
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var made = DRAW[el.getAttribute("data-chart")](data);
      var chart = charts[el.id];
      if (!chart) {
        chart = charts[el.id] = echarts.init(el, null, { renderer: "canvas", locale: "ZH" });
        chart.on("click", function (p) {
          var target = chart.__link && chart.__link(p);
          if (target) { window.location.href = target; }
        });
      }
      chart.__link = made.link;
      made.option.aria = { enabled: true };
      chart.setOption(made.option, { notMerge: true });
    });
  }

  function cell(row, text, href, className) {
    var td = document.createElement("td");
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      if (className) { a.className = className; }
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    row.appendChild(td);
  }

  function overdueCell(tr, n, params) {
    if (n) { cell(tr, String(n), cases(params), "late"); } else { cell(tr, "0"); }
  }

  // Each table's rows from the data, as the page's template writes them.
  var TABLES = {
    grids: function (data, add) {
      data.open_by_grid.forEach(function (r) {
        var tr = add();
        cell(tr, r.name, cases({ open: "true", grid_id: r.grid_id }));
        [r.open, r.green, r.yellow, r.red].forEach(function (n) { cell(tr, String(n)); });
        overdueCell(tr, r.overdue, { grid_id: r.grid_id, overdue: "true" });
      });
      return [6, "没有在办事项"];
    },
    rates_by_grid: function (data, add) {
      data.rates_by_grid.forEach(function (r) {
        var tr = add();
        cell(tr, r.name, cases({ grid_id: r.group }));
        cell(tr, String(r.closed));
        RATE_NAMES.forEach(function (rate) { cell(tr, percent(r[rate[0]])); });
      });
      return [6, "本月尚无数据"];
    },
    workload: function (data, add) {
      data.workload.forEach(function (r) {
        var tr = add();
        cell(tr, r.name, cases({ open: "true", assignee: r.worker }));
        cell(tr, String(r.open));
        overdueCell(tr, r.overdue, { assignee: r.worker, overdue: "true" });
      });
      return [3, "暂无派出的事项"];
    }
  };

  function fill(tbody, build) {
    var rows = [];
    var add = function () { var tr = document.createElement("tr"); rows.push(tr); return tr; };
    var empty = build(add);
    if (!rows.length) {
      var tr = add();
      var td = document.createElement("td");
      td.colSpan = empty[0];
      td.textContent = empty[1];
      tr.appendChild(td);
    }
    tbody.replaceChildren.apply(tbody, rows);
  }

  function write(data) {
    var counts = Object.assign({}, data.counts,
                               { received_waiting: data.open_by_status.received || 0 });
    root.querySelectorAll("[data-count]").forEach(function (el) {
      var value = counts[el.getAttribute("data-count")];
      if (value !== undefined) { el.textContent = String(value); }
    });
    root.querySelectorAll("[data-table]").forEach(function (tbody) {
      fill(tbody, function (add) { return TABLES[tbody.getAttribute("data-table")](data, add); });
    });
    root.querySelectorAll("[data-list]").forEach(function (tbody) {
      var list = data[tbody.getAttribute("data-list")];
      fill(tbody, function (add) {
        list.forEach(function (r) {
          var tr = add();
          cell(tr, r.title, "/app/cases/" + encodeURIComponent(r.id));
          cell(tr, r.grid);
          cell(tr, r.assignee);
          cell(tr, r.due_at);
        });
        return [4, tbody.getAttribute("data-empty")];
      });
    });
  }

  var state = document.getElementById("live-state");
  var position = null;

  function show(data) {
    position = data.position;
    root.setAttribute("data-position", String(position));
    draw(data);
  }

  function refresh() {
    return fetch(root.getAttribute("data-source"), { credentials: "same-origin",
                                                      headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (!answer.ok || answer.redirected) { throw new Error("signed out"); }
        return answer.json();
      })
      .then(function (data) {
        write(data);
        show(data);
        state.textContent = "已更新 " + new Date().toLocaleTimeString("zh-CN", { hour12: false });
      })
      .catch(function () { state.textContent = "无法更新，请刷新页面或重新登录"; });
  }

  function listen() {
    if (!window.EventSource) { return; }
    var stream = new EventSource(root.getAttribute("data-events") + "?since=" + position);
    stream.addEventListener("changed", refresh);
    stream.onerror = function () {
      if (stream.readyState === EventSource.CLOSED) {
        state.textContent = "自动更新已停止，请刷新页面";
      }
    };
  }

  show(JSON.parse(root.getAttribute("data-dashboard")));
  listen();
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });
})();
