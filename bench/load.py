"""The load client, in its own process: `python -m bench.load` (driven by `send`).

The benchmark's orchestrating process also hosts the SMTP sink that absorbs the connector's
mail; a client sharing that process (and its GIL) would slow down and blur the latencies it
measures. Here it has a process of its own: the messages arrive pickled on stdin, the results
leave as JSON on stdout. It is tests/harness.py's LoadClient: http.client keep-alive, one
connection per thread, a light client (measured here: a heavier client took CPU from the server it measured).
"""

from __future__ import annotations

import json
import pickle
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from tests.harness import ROOT, LoadClient, percentile

NAME = "http.client keep-alive (tests/harness.py LoadClient), {n} connections, separate process"


@dataclass
class LoadResult:
    started_wall: float  # time.time() when the first request could go out
    elapsed: float  # seconds until the last answer
    statuses: list[int]
    latencies: list[float]  # seconds, send to answer, per message in order
    delays: list[float]  # seconds each send was late on the schedule (open loop; 0 closed)
    client_cpu: float  # CPU seconds the client process used while sending
    client_total_cpu: float  # ... in all, with its start (imports, unpickling the messages)
    connections: int
    rate: float | None

    @property
    def ok(self) -> int:
        return sum(1 for s in self.statuses if s == 200)

    def percentile_ms(self, fraction: float, *, from_due: bool = True) -> float:
        """The acknowledgement latency of accepted messages, measured from when the message
        was due to be sent: a client that falls behind its schedule must not hide the wait
        (coordinated omission). Closed loop, or `from_due=False`: from the actual send."""
        return 1000 * percentile((lat + (late if from_due else 0.0) for s, lat, late in
                                  zip(self.statuses, self.latencies, self.delays, strict=True)
                                  if s == 200), fraction)


def send(port: int, messages: list[bytes], *, connections: int = 8,
         rate: float | None = None) -> LoadResult:
    """Post `messages` to /inbound/raw from a separate process; closed loop unless `rate`."""
    spec = {"port": port, "connections": connections, "rate": rate, "messages": messages}
    done = subprocess.run([sys.executable, "-m", "bench.load"], input=pickle.dumps(spec),
                          capture_output=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"load client failed: {done.stderr.decode(errors='replace')[-2000:]}")
    return LoadResult(**json.loads(done.stdout))


def _main() -> None:
    spec: dict[str, Any] = pickle.load(sys.stdin.buffer)
    messages, rate = spec["messages"], spec["rate"]
    client = LoadClient(spec["port"], connections=spec["connections"])
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started_wall = time.time()
    started = time.perf_counter()
    results = client.post_all(messages, rate=rate)
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    json.dump({
        "started_wall": started_wall, "elapsed": elapsed,
        "statuses": [r.status for r in results], "latencies": [r.latency for r in results],
        "delays": [max(0.0, r.started - r.index / rate) if rate else 0.0 for r in results],
        "client_cpu": cpu,
        "client_total_cpu": cpu_after.ru_utime + cpu_after.ru_stime,
        "connections": spec["connections"], "rate": rate,
    }, sys.stdout)


if __name__ == "__main__":
    _main()
