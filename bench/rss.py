"""Resident memory (VmRSS) of a server's processes, sampled while a load runs, and the CPU
time each used meanwhile (which shows how the load spread over the workers)."""

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.figures import Figure

MEMORY = "memory (RSS per process)"
RSS_TARGET_MB = 250.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # the process is gone
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time the process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cmdline_of(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


def role_of(pid: int, root: int, cmdline: bytes) -> str | None:
    """'main' for the server's own process, 'worker' for a uvicorn worker; None otherwise."""
    if pid == root:
        return "main"
    # uvicorn starts its workers with multiprocessing's spawn; the resource tracker it may
    # start as well is not a server process.
    return "worker" if b"spawn_main" in cmdline else None


@dataclass
class RssSampler:
    """Samples every server process in a thread, every ``interval`` seconds, until stopped."""

    pids: Callable[[], list[int]]
    root: int
    interval: float
    samples: dict[int, list[float]] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    cmdlines: dict[int, bytes] = field(default_factory=dict)  # to stop only these processes
    cpu_first: dict[int, float] = field(default_factory=dict)
    cpu_last: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> "RssSampler":
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()  # the CPU time up to the end of the load

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        try:
            pids = self.pids()
        except OSError:  # a process ended while its children were listed
            return
        for pid in pids:
            if pid not in self.cmdlines:
                cmdline = cmdline_of(pid)
                role = role_of(pid, self.root, cmdline) if cmdline is not None else None
                if role is None:
                    continue
                self.cmdlines[pid], self.roles[pid] = cmdline, role
            rss, cpu = rss_mb(pid), cpu_seconds(pid)
            if rss is not None:
                self.samples.setdefault(pid, []).append(rss)
            if cpu is not None:
                self.cpu_first.setdefault(pid, cpu)
                self.cpu_last[pid] = cpu

    def label(self, pid: int) -> str:
        """'main', 'worker 1', 'worker 2', ..."""
        if self.roles[pid] == "main":
            return "main"
        workers = sorted(p for p, role in self.roles.items() if role == "worker")
        return f"worker {workers.index(pid) + 1}"

    def labelled_samples(self) -> dict[str, list[float]]:
        """The samples (MB) per process."""
        return dict(sorted((self.label(pid), values) for pid, values in self.samples.items()))

    def cpu_note(self, server: str) -> str:
        """CPU seconds each process used while sampled: an idle worker means the load's
        connections all went to the other one (uvicorn's workers share one socket, and a
        connection stays with the worker that accepted it)."""
        used = sorted(
            (self.label(pid), self.cpu_last[pid] - first) for pid, first in self.cpu_first.items()
        )
        listing = ", ".join(f"{label} {seconds:.1f}" for label, seconds in used)
        return f"{server}: CPU seconds used during its loads: {listing}."

    def peaks(self) -> dict[str, float]:
        return {label: max(values) for label, values in self.labelled_samples().items()}


def peak_figures(server: str, sampler: RssSampler, note: str = "") -> list[Figure]:
    """Peak RSS of each process of one server, against the 250 MB per process target."""
    return [
        Figure(
            section=MEMORY,
            name=f"{server}, {process}, peak",
            value=peak,
            unit="MB",
            target=f"< {RSS_TARGET_MB:.0f} MB",
            met=peak < RSS_TARGET_MB,
            note=note,
        )
        for process, peak in sampler.peaks().items()
    ]


def stop_leftovers(sampler: RssSampler, seconds: float = 10) -> list[int]:
    """Stop the server processes the sampler saw that still run after their server stopped.

    Only a process with the same pid and command line as seen is stopped: a pid can be
    reused once its process is gone. Answers the pids that had to be stopped.
    """

    def running(pid: int) -> bool:
        return cmdline_of(pid) == sampler.cmdlines[pid] and rss_mb(pid) is not None

    alive = [pid for pid in sampler.cmdlines if running(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(running(pid) for pid in alive):
        time.sleep(0.2)
    for pid in alive:
        if running(pid):
            os.kill(pid, signal.SIGKILL)
    return alive
