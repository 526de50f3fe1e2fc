"""docs/performance.png: throughput achieved and acknowledgement latency against offered load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: write the file only
import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter, ScalarFormatter

LATENCY_TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000]


def plot(results: dict[str, Any], path: Path) -> None:
    sweep = results["sweep"]
    points = sweep + [results["sqlite"]["saturation"][0]]  # the last point: closed loop, "max"
    labels = [f"{p['offered_per_s']:g}" for p in sweep] + ["max"]
    x = list(range(len(points)))
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7.5), sharex=True)
    machine = results["machine"]
    figure.suptitle(f"Email Connector on SQLite, default configuration ({results['mode']} run, "
                    f"{results['date']})\n{machine['cpu']}, {machine['cores']} cores, Python "
                    f"{machine['python']}; message mix mean {results['mix']['mean_kb']:.0f} KB; "
                    "load client http.client keep-alive, separate process", fontsize=9)

    floor = results["floor"]["rate"]
    top.plot(x, [p["accepted_per_s"] for p in points], "o-", label="accepted/s (HTTP 200)")
    top.plot(x, [p["processed_per_s"] for p in points], "s-",
             label="processed/s (outcome committed)")
    top.plot(x[:-1], [p["offered_per_s"] for p in sweep], ":", color="grey",
             label="offered/s")
    top.axhline(floor, color="black", linewidth=0.8, linestyle="--")
    right = len(points) - 1
    top.text(right, floor, f"floor {floor:.0f}/s (parse + durable commit) ", va="bottom",
             ha="right", fontsize=8)
    top.axhline(floor / 2, color="firebrick", linewidth=0.8, linestyle="--")
    top.text(right, floor / 2, "target: processed >= 0.5 x floor ", va="bottom", ha="right",
             fontsize=8, color="firebrick")
    # This machine is shared: how much of it other processes used during each point explains
    # many an outlier, so it is written under each point.
    for i, p in enumerate(points):
        top.text(i, -0.1 * floor, f"others {p['others_cpu_share']:.0%}", ha="center",
                 va="center", fontsize=7, color="grey")
    top.set_ylabel("messages per second")
    top.set_ylim(bottom=-0.16 * floor,
                 top=max(floor, *(p["accepted_per_s"] for p in points)) * 1.15)
    top.set_yticks([t for t in top.get_yticks() if t >= 0])
    top.axhline(0, color="black", linewidth=0.5)
    top.legend(loc="upper left", fontsize=8, framealpha=0.9)
    top.grid(alpha=0.3)

    bottom.plot(x, [p["p50_ms"] for p in points], "o-", label="p50")
    bottom.plot(x, [p["p99_ms"] for p in points], "s-", label="p99")
    bottom.axhline(50, color="firebrick", linewidth=0.8, linestyle="--")
    bottom.text(right, 50, "target: p99 < 50 ms at 100/s ", va="bottom", ha="right", fontsize=8,
                color="firebrick")
    bottom.set_yscale("log")
    low = min(p["p50_ms"] for p in points) / 1.5
    high = max(p["p99_ms"] for p in points) * 1.5
    bottom.set_yticks([t for t in LATENCY_TICKS if low <= t <= high])
    bottom.yaxis.set_major_formatter(ScalarFormatter())
    bottom.yaxis.set_minor_formatter(NullFormatter())
    bottom.set_ylabel("acknowledgement latency, ms (log)")
    bottom.set_xlabel("offered load, messages per second (open loop; max: closed loop with "
                      f"{points[-1]['connections']} connections,\nwhose latency the client's "
                      "concurrency bounds). Grey: CPU share other processes took meanwhile")
    bottom.set_xticks(x, labels)
    bottom.legend(loc="upper left", fontsize=8)
    bottom.grid(alpha=0.3, which="both")

    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
