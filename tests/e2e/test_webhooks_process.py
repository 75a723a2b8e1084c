"""`casework webhooks run`: the dispatcher as its own process, beside a serve that does not send."""

import hashlib
import hmac
import json
import os
import signal
import time
from pathlib import Path

import httpx2 as httpx

from tests.e2e.conftest import Server, casework, start_casework
from tests.helpers import Receiver, intake

SECRET = "the-e2e-receivers-secret-0123456789"


def token(env: dict[str, str], role: str, area: str | None) -> dict[str, str]:
    args = ["users", "add", "--name", f"钩子 {role}", "--role", role]
    added = casework(*args, *(["--area", area] if area else []), env=env)
    assert added.returncode == 0, added.stderr
    fields = dict(line.split(":", 1) for line in added.stdout.splitlines())
    return {"Authorization": f"Bearer {fields['token'].strip()}"}


def test_webhooks_run_sends_the_deliveries_signed_and_stops_on_sigterm(
    fresh_database: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database,
        "CASEWORK_RUN_WEBHOOKS": "false",
        "CASEWORK_WEBHOOK_POLL_SECONDS": "0.2",
    }
    assert casework("areas", "load", "--sample", env=env).returncode == 0
    admin, boss = token(env, "admin", None), token(env, "supervisor", "tiansheng")
    receiver = Receiver()
    receiver.start()
    server = Server(env, tmp_path).start()
    dispatcher = None
    try:
        api = httpx.Client(base_url=server.url, timeout=10)
        hook = {"url": f"http://127.0.0.1:{receiver.port}/", "event_types": ["Urged"]}
        registered = api.post("/webhooks", json={**hook, "secret": SECRET}, headers=admin)
        assert registered.status_code == 201, registered.text
        case = api.post("/cases", json=intake(), headers=boss).json()
        urged = api.post(f"/cases/{case['id']}/urge", json={"message": "快"}, headers=boss)
        assert urged.status_code == 200, urged.text

        dispatcher = start_casework("webhooks", "run", env=env, cwd=tmp_path, log="hooks.log")
        deadline = time.monotonic() + 60
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.2)
        ((headers, body),) = receiver.received
        sent = json.loads(body)
        assert (sent["type"], sent["case_id"]) == ("Urged", case["id"])
        mac = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Casework-Signature"] == f"sha256={mac}"
        log = api.get(f"/webhooks/{registered.json()['id']}/deliveries", headers=admin).json()
        (delivery,) = log["items"]
        assert delivery["notification_id"] == sent["id"] and delivery["attempts"] == 1

        dispatcher.send_signal(signal.SIGTERM)
        assert dispatcher.wait(timeout=30) == 0
    finally:
        if dispatcher is not None and dispatcher.poll() is None:
            os.killpg(dispatcher.pid, signal.SIGKILL)
        server.stop()
        receiver.stop()
