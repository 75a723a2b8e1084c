"""kill -9 of the server mid-stream: whatever it acknowledged is kept, nothing twice."""

import threading
import time
from collections import Counter
from pathlib import Path

import httpx2 as httpx

from tests.e2e.conftest import Server, new_token
from tests.helpers import intake, visit_body


def test_every_acknowledged_command_survives_a_kill_and_none_lands_twice(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    server = Server(service_env, tmp_path, workers=2).start()
    worker_id, token = new_token(service_env, "supervisor", "断电测试")
    auth = {"Authorization": f"Bearer {token}"}
    case_id = httpx.post(f"{server.url}/cases", json=intake(), headers=auth).json()["id"]
    httpx.post(f"{server.url}/cases/{case_id}/assign", json={"assignee": worker_id}, headers=auth)

    acknowledged_visits: list[str] = []
    acknowledged_cases: dict[str, str] = {}
    sent_keys: list[str] = []
    stop = threading.Event()

    def stream(lane: int) -> None:
        with httpx.Client(base_url=server.url, headers=auth, timeout=5) as client:
            n = 0
            while not stop.is_set():
                n += 1
                note, key = f"lane{lane}-visit{n}", f"lane{lane}-intake{n}"
                try:
                    if (
                        client.post(
                            f"/cases/{case_id}/visits", json=visit_body(notes=note)
                        ).status_code
                        == 200
                    ):
                        acknowledged_visits.append(note)
                    sent_keys.append(key)
                    created = client.post(
                        "/cases", json=intake(title=key), headers={"Idempotency-Key": key}
                    )
                    if created.status_code == 201:
                        acknowledged_cases[key] = created.json()["id"]
                except httpx.TransportError:
                    time.sleep(0.05)

    lanes = [threading.Thread(target=stream, args=(lane,)) for lane in range(4)]
    for lane in lanes:
        lane.start()
    time.sleep(1.5)
    server.kill()
    time.sleep(0.3)
    stop.set()
    for lane in lanes:
        lane.join()
    assert acknowledged_visits, "the stream should have landed commands before the kill"

    server.start()
    try:
        history = httpx.get(f"{server.url}/cases/{case_id}/history", headers=auth).json()
        events = history["events"]
        assert [e["version"] for e in events] == list(range(1, len(events) + 1))
        notes = Counter(e["data"]["notes"] for e in events if e["type"] == "Visited")
        assert set(acknowledged_visits) <= set(notes)
        assert all(count == 1 for count in notes.values())

        # The client retries every intake whose answer it never saw: still one case a key.
        for key in sent_keys:
            again = httpx.post(
                f"{server.url}/cases",
                json=intake(title=key),
                headers={**auth, "Idempotency-Key": key},
            )
            assert again.status_code in (200, 201)
            if key in acknowledged_cases:
                assert again.status_code == 200
                assert again.json()["id"] == acknowledged_cases[key]
            assert (
                len(
                    httpx.get(
                        f"{server.url}/cases/{again.json()['id']}/history", headers=auth
                    ).json()["events"]
                )
                == 1
            )
    finally:
        server.stop()
