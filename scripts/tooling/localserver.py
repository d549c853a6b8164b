"""Start the service as a child process on 127.0.0.1 and stop it again, by PID.

Used by the benchmark and load scripts and the browser tests: they measure or drive the
real server over real HTTP, and must never leave it running or listen beyond loopback.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, server: subprocess.Popen[bytes] | None = None, timeout: float = 90.0) -> float:
    """Seconds until ``url``/ready answers 200; raises if the server dies or time runs out."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"service exited with code {server.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"service at {url} was not ready after {timeout} s")


@contextmanager
def running_service(
    index_dir: Path,
    env: dict[str, str] | None = None,
    workers: int = 1,
    app: Sequence[str] = ("service.http.app:create_app", "--factory"),
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """(base URL, process) of uvicorn serving ``index_dir`` on a free port: this service by
    default, or another ASGI app given as uvicorn arguments (the benchmark's baseline)."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            *app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env={**os.environ, **(env or {}), "HSQA_INDEX_DIR": str(index_dir)},
    )
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@dataclass
class Drive:
    """What a closed-loop run measured."""

    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0


def drive(url: str, send: Callable[[httpx.Client, int], httpx.Response], total: int, clients: int) -> Drive:
    """Send ``total`` requests from ``clients`` threads, each waiting for its answer before
    the next (closed loop); ``send(client, n)`` makes request number ``n``."""
    result = Drive()
    counter = itertools.count()
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            while (n := next(counter)) < total:
                t = time.perf_counter()
                try:
                    response = send(client, n)
                    failure = (
                        None if response.status_code == 200 else f"{response.status_code} {response.url.path}"
                    )
                except httpx.HTTPError as exc:
                    failure = repr(exc)
                with lock:
                    result.latencies_ms.append((time.perf_counter() - t) * 1000)
                    if failure:
                        result.failures.append(failure)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - start
    return result


def memory_mib(pid: int) -> tuple[float, float]:
    """Resident and proportional (shared pages split between sharers) memory of a process
    and its children (uvicorn's workers), in MiB."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(c) for c in children.read_text().split()]
    rss = pss = 0
    for p in pids:
        for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss / 1024, pss / 1024
