"""Start the service as a child process on 127.0.0.1 and stop it again, by PID.

Used by the benchmark and load scripts and the browser tests: they measure or drive the
real server over real HTTP, and must never leave it running or listen beyond loopback.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
def running_service(index_dir: Path, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """(base URL, process) of a one-worker uvicorn serving ``index_dir`` on a free port."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
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
