"""The README's code blocks, run as written in a fresh copy of the repository.

A newcomer starts with the README: its first command (install, then serve on the embedded
PostgreSQL), then the curl walk-through in a second terminal, then the tamper-evidence
commands. This test does the same, so the README cannot drift from the product. The
other blocks are not run: one names an external database host, one loads an `areas.json`
of the reader's own, one runs the benchmark (minutes long), and the JSON blocks are formats.
"""

import json
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.e2e.conftest import free_port

REPOSITORY = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def shell_blocks_under(readme: str, heading: str) -> list[str]:
    """The sh blocks of the README section that starts at ``heading``."""
    start = readme.index(f"\n{heading}\n")
    end = readme.find("\n## ", start + len(heading) + 2)
    section = readme[start : end if end != -1 else None]
    return [body for lang, body in FENCE.findall(section) if lang == "sh"]


def first_block(readme: str) -> list[str]:
    match = FENCE.search(readme)
    assert match is not None
    return match.group(2).splitlines()


@pytest.fixture(scope="module")
def fresh_copy() -> Iterator[Path]:
    """The tracked files of the working tree, nothing else: no venv, no var/."""
    # Not under pytest's own temporary folder: it is 0700, and as root the embedded
    # PostgreSQL runs as a user of its own that must reach its data directory.
    folder = Path(tempfile.mkdtemp(prefix="casework-readme-"))
    folder.chmod(0o755)
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPOSITORY, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        source = REPOSITORY / name.decode()
        if source.is_file():
            target = folder / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    yield folder
    subprocess.run(["rm", "-rf", str(folder)], check=False)


def readme_env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and k != "VIRTUAL_ENV"}
    env["CASEWORK_PORT"] = str(port)
    return env


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 240  # includes the pip install of the first command
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the first command exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the service did not come up: {log.read_text()[-3000:]}")


def test_the_readme_runs_as_written(fresh_copy: Path) -> None:
    readme = (fresh_copy / "README.md").read_text()
    serve_command = first_block(readme)[0]
    assert serve_command.endswith("casework serve"), serve_command
    walk_through = shell_blocks_under(readme, "## A case from intake to rating, with curl")
    tamper = shell_blocks_under(readme, "## Tamper evidence")
    assert len(walk_through) == 2 and len(tamper) == 1  # the walk-through, then duplicates

    port = free_port()
    env = readme_env(port)
    log = fresh_copy / "first-command.log"
    with log.open("wb") as output:
        service = subprocess.Popen(
            ["bash", "-c", serve_command],
            cwd=fresh_copy,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(f"http://127.0.0.1:{port}", service, log)
        script = "set -eo pipefail\n" + "\n".join([*walk_through, *tamper])
        run = subprocess.run(
            ["bash", "-c", script],
            cwd=fresh_copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        answers = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
        case_id = next(line for line in run.stdout.splitlines() if line.startswith("case "))[5:]

        # The report of this month shows the case just filed, closed on time and rated.
        report = next(a for a in answers if a.get("group_by") == "grid")
        grid = next(row for row in report["rows"] if row["group"] == "tiansheng-01")
        assert (grid["received"], grid["closed"], grid["closed_on_time"]) == (1, 1, 1)
        assert grid["satisfaction_rate"] == 1
        # The case list found it rated; its history has every step; its chain verifies.
        listed = next(a for a in answers if "next_cursor" in a)
        assert [item["id"] for item in listed["items"]] == [case_id]
        history = next(a for a in answers if "events" in a)
        assert [e["type"] for e in history["events"]] == [
            "Received",
            "Assigned",
            "SignedFor",  # the worker's visit signs for the case first
            "Visited",
            "Closed",
            "RatingLinkIssued",  # the closure's link for the resident (回访 without a call)
            "Rated",
        ]
        # The repeat closed as its duplicate; the chains of both verify.
        repeat = next(a for a in answers if a.get("duplicate_of") == case_id)
        assert repeat["status"] == "closed"
        verified = next(a for a in answers if "first_bad_version" in a)
        assert verified["ok"] is True
        # The original: Received, Assigned, SignedFor, Visited, Closed, RatingLinkIssued,
        # Rated, DuplicateLinked; the repeat (closed as a duplicate: no rating link):
        # Received, Assigned, SignedFor, Closed.
        assert "2 cases checked (12 events): every hash chain intact" in run.stdout
        assert "1 case checked (8 events): every hash chain intact" in run.stdout
        assert list(fresh_copy.glob("*.xlsx")), "the Excel export was not saved"
    finally:
        os.killpg(service.pid, signal.SIGINT)  # what Ctrl+C in that terminal does
        service.wait(timeout=60)
    # The embedded PostgreSQL stopped with the service.
    assert not (fresh_copy / "var" / "pg" / "postmaster.pid").exists()
