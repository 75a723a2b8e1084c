"""The dashboard's live stream on a real `casework serve`: it tells an open page when a
case is filed, and it does not keep the server from shutting down."""

import re
import signal
import threading
from pathlib import Path

import httpx2 as httpx

from tests.e2e.conftest import Server, new_token
from tests.helpers import intake


def signed_in(base: str, token: str) -> httpx.Client:
    browser = httpx.Client(base_url=base, timeout=30)
    form = browser.get("/app/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    answer = browser.post("/app/login", data={"csrf": csrf.group(1), "token": token})
    assert answer.status_code == 303, answer.text
    return browser


def test_the_stream_tells_of_a_new_case_and_ends_when_the_server_stops(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    server = Server(service_env, tmp_path, workers=2).start()
    try:
        _id, boss_token = new_token(service_env, "supervisor", "督办 流")
        _id, clerk_token = new_token(service_env, "clerk", "受理 流")
        page = signed_in(server.url, boss_token).get("/app/dashboard/data")
        since = page.json()["position"]

        lines: list[str] = []
        told = threading.Event()
        ended = threading.Event()
        browser = signed_in(server.url, boss_token)

        def listen() -> None:
            with browser.stream("GET", f"/app/dashboard/events?since={since}") as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                for line in stream.iter_lines():
                    lines.append(line)
                    if line == "event: changed":
                        told.set()
            ended.set()

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        filed = httpx.post(
            f"{server.url}/cases",
            json=intake(title="流中新件"),
            headers={"Authorization": f"Bearer {clerk_token}"},
        )
        assert filed.status_code == 201, filed.text
        assert told.wait(30), lines
        changed_at = int(lines[lines.index("event: changed") + 1].removeprefix("data: "))
        assert changed_at > since

        # An operator's SIGTERM with the stream still open: the server stops gracefully
        # (not killed after waiting for the stream), and the stream ends.
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        returncode = server.process.wait(timeout=60)
        assert returncode == 0
        assert ended.wait(10)
    finally:
        server.stop()
