"""The processes of a benchmark run: starting and stopping them as process groups, waiting for them to answer, and
sampling the CPU, CPU wait and peak RSS of a process tree while a scenario runs."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


class Processes:
    """Children of this run, each in its own process group so stopping one stops everything it spawned."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.running[name] = proc
        return proc

    def stop(self, name: str, timeout: float = 15) -> None:
        proc = self.running.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for name in reversed(list(self.running)):
            self.stop(name)

    def check_alive(self, name: str) -> None:
        proc = self.running[name]
        if proc.poll() is not None:
            tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{name} exited with code {proc.returncode}:\n{tail}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, proc_check: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc_check()
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


def granian(app: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "granian", "--interface", "asgi", "--factory", app, "--host", HOST, "--port", str(port),
        "--workers", str(workers), "--loop", "uvloop", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


# Resource sampling -----------------------------------------------------------------------------------------------


def run_queue_wait_ns(pid: int) -> int:
    """Nanoseconds the threads of ``pid`` have spent runnable but waiting for a CPU (Linux schedstat; 0 elsewhere)."""
    total = 0
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, IndexError, ValueError):
                total += int((task / "schedstat").read_text().split()[1])
    return total


class Sampler:
    """CPU (percent of one core, summed over the tree) and peak RSS of a process and all its descendants, and how
    long its threads waited for a CPU while runnable (percent of one core's time, summed): on a machine shared with
    other work a server can be starved of CPU while its own CPU figure looks low."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.cpu: list[float] = []
        self.peak_rss = 0
        self.cpu_wait: list[float] = []
        self._waited: dict[int, int] = {}
        self._known: dict[int, psutil.Process] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree(self) -> list[psutil.Process]:
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:  # it has just ended (the SDK reference exits by itself)
            return []
        for proc in tree:
            if proc.pid not in self._known:
                self._known[proc.pid] = proc
                with contextlib.suppress(psutil.Error):
                    proc.cpu_percent(None)  # the first call primes the counter
        return [self._known[proc.pid] for proc in tree]

    def _run(self) -> None:
        self._tree()
        while not self._stop.wait(self.interval):
            cpu, rss, waited = 0.0, 0, 0
            for proc in self._tree():
                with contextlib.suppress(psutil.Error):
                    cpu += proc.cpu_percent(None)
                    rss += proc.memory_info().rss
                now = run_queue_wait_ns(proc.pid)
                waited += now - self._waited.get(proc.pid, now)
                self._waited[proc.pid] = now
            self.cpu.append(cpu)
            self.cpu_wait.append(waited / (self.interval * 1e9) * 100)
            self.peak_rss = max(self.peak_rss, rss)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mean_cpu(self) -> float:
        busy = self.cpu[1:] or self.cpu  # the first interval includes start-up of the load
        return sum(busy) / len(busy) if busy else 0.0

    @property
    def mean_cpu_wait(self) -> float:
        waits = self.cpu_wait[1:] or self.cpu_wait
        return sum(waits) / len(waits) if waits else 0.0
