"""Real processes for crash tests and benchmarks: the web server (uvicorn), workers, and a
light keep-alive HTTP load client (http.client, one connection per thread)."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
API_KEY = "harness-api-key"
INBOUND = ("inbound", "harness-inbound-secret")
ADMIN_PASSWORD = "harness-admin-secret"
BASIC = "Basic " + base64.b64encode(f"{INBOUND[0]}:{INBOUND[1]}".encode()).decode()


def connector_env(database_url: str, data_dir: Path, smtp_port: int, **extra: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_")}
    env.update({
        "CONNECTOR_DATABASE_URL": database_url,
        "CONNECTOR_DATA_DIR": str(data_dir),
        "CONNECTOR_API_KEYS": API_KEY,
        "CONNECTOR_INBOUND_USERNAME": INBOUND[0],
        "CONNECTOR_INBOUND_PASSWORD": INBOUND[1],
        "CONNECTOR_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "CONNECTOR_PUBLIC_ADDRESS": "support@msp.example",
        "CONNECTOR_SUPPORT_TEAM_ADDRESS": "team@msp.example",
        "CONNECTOR_SMTP_HOST": "127.0.0.1",
        "CONNECTOR_SMTP_PORT": str(smtp_port),
        "CONNECTOR_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    })
    env.update({f"CONNECTOR_{k.upper()}": str(v) for k, v in extra.items()})
    return env


@dataclass
class Process:
    args: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        handle = self.log.open("ab")
        self.popen = subprocess.Popen(self.args, env=self.env, cwd=ROOT, stdout=handle,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.send_signal(sig)
            self.popen.wait(timeout=30)

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


def web(env: dict[str, str], port: int, log: Path) -> Process:
    return Process([sys.executable, "-m", "uvicorn", "--factory", "api.entrypoints.web:create_app",
                    "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                    "--log-level", "warning"], env, log)


def worker(env: dict[str, str], log: Path) -> Process:
    return Process([sys.executable, "-m", "api.entrypoints.worker"], env, log)


def imap_poller(env: dict[str, str], log: Path) -> Process:
    return Process([sys.executable, "-m", "api.entrypoints.imap"], env, log)


def wait_ready(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"server on port {port} did not start")


def api_get(port: int, path: str) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Authorization": f"Bearer {API_KEY}"})
    response = connection.getresponse()
    return json.loads(response.read())


def api_post(port: int, path: str, body: Any) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", path, body=json.dumps(body),
                       headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
    response = connection.getresponse()
    return json.loads(response.read())


@dataclass
class Sent:
    index: int
    status: int
    inbound_id: int | None
    started: float
    latency: float


@dataclass
class LoadClient:
    """Posts messages to /inbound/raw over keep-alive connections, one per thread."""

    port: int
    connections: int = 8
    results: list[Sent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def post_all(self, messages: list[bytes], *, rate: float | None = None,
                 stop_on_error: bool = False) -> list[Sent]:
        """Send every message; with `rate`, at that fixed offered load (open loop)."""
        next_index = iter(range(len(messages)))
        index_lock = threading.Lock()
        start = time.perf_counter()

        def run() -> None:
            connection: http.client.HTTPConnection | None = None
            while True:
                with index_lock:
                    i = next(next_index, None)
                if i is None:
                    break
                if rate:
                    delay = start + i / rate - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                began = time.perf_counter()
                try:
                    if connection is None:
                        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                    connection.request("POST", "/inbound/raw", body=messages[i], headers={
                        "Authorization": BASIC, "Content-Type": "message/rfc822"})
                    response = connection.getresponse()
                    payload = response.read()
                    status = response.status
                    inbound_id = json.loads(payload).get("id") if status == 200 else None
                except (OSError, http.client.HTTPException, ValueError):
                    status, inbound_id = 0, None
                    if connection is not None:
                        connection.close()
                    connection = None
                sent = Sent(i, status, inbound_id, began - start, time.perf_counter() - began)
                with self._lock:
                    self.results.append(sent)

        threads = [threading.Thread(target=run, daemon=True) for _ in range(self.connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sorted(self.results, key=lambda s: s.index)


def percentile(values: Iterable[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
