"""The live stream of notifications, from `casework serve` as users run it."""

import json
import threading
from pathlib import Path
from typing import Any

import httpx2 as httpx

from tests.e2e.conftest import Server, casework
from tests.helpers import intake


def user(env: dict[str, str], name: str, role: str, area: str) -> tuple[str, dict[str, str]]:
    added = casework("users", "add", "--name", name, "--role", role, "--area", area, env=env)
    assert added.returncode == 0, added.stderr
    fields = dict(line.split(":", 1) for line in added.stdout.splitlines())
    return fields["id"].strip(), {"Authorization": f"Bearer {fields['token'].strip()}"}


def test_the_stream_sends_a_new_notification_and_ends_when_the_service_stops(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**service_env, "CASEWORK_NOTIFICATION_POLL_SECONDS": "0.2"}
    server = Server(env, tmp_path).start()
    worker_id, worker = user(env, "流 网格员", "worker", "tiansheng-01")
    _, boss = user(env, "流 书记", "supervisor", "tiansheng")
    api = httpx.Client(base_url=server.url, timeout=10)
    case = api.post("/cases", json=intake(grid_id="tiansheng-01"), headers=boss).json()
    api.post(f"/cases/{case['id']}/assign", json={"assignee": worker_id}, headers=boss)

    events: list[dict[str, Any]] = []
    lines: list[str] = []
    opened, got_one, ended = threading.Event(), threading.Event(), threading.Event()

    def listen() -> None:
        with httpx.stream(
            "GET", f"{server.url}/me/notifications/stream", headers=worker, timeout=None
        ) as response:
            lines.append(f"status {response.status_code} {response.headers['content-type']}")
            opened.set()
            for line in response.iter_lines():
                lines.append(line)
                if line.startswith("data:"):
                    events.append(json.loads(line.removeprefix("data:")))
                    got_one.set()
        ended.set()

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    try:
        assert opened.wait(30), lines
        urged = api.post(f"/cases/{case['id']}/urge", json={"message": "请尽快上门"}, headers=boss)
        assert urged.status_code == 200, urged.text
        assert got_one.wait(30), lines
        (notification,) = events
        assert notification["type"] == "Urged" and notification["case_id"] == case["id"]
        assert notification["data"]["message"] == "请尽快上门"
        assert "event: notification" in lines
        assert any(line.startswith("id: ") for line in lines)
        assert lines[0].startswith("status 200 text/event-stream")
    finally:
        server.stop()  # SIGTERM, as an operator stops it
    assert ended.wait(30), "the stream did not end when the service stopped"
    assert server.process is not None and server.process.returncode == 0
