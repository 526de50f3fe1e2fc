"""`make bench`: every figure of the performance issue in one run on this machine.

    python -m bench.run            # the full run (about 15 minutes on 2 cores)
    python -m bench.run --quick    # a short one while developing (smaller, fewer points)

Prints the figures as they are measured, writes them all to bench/out/results.json and the
plot of throughput and latency against offered load to docs/performance.png.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import memory, mix, postgres, report, sweep
from bench.floor import floor_rate
from bench.load import NAME as LOAD_CLIENT
from bench.procs import machine
from bench.sweep import CLOSED_CONNECTIONS, OPEN_CONNECTIONS, Plan, mean, progress

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "results.json"
PLOT = ROOT / "docs" / "performance.png"

FULL = Plan(pool=3000, saturation_messages=3000, saturation_runs=2,
            rates=(25, 50, 100, 150, 200, 300), seconds=12, seconds_at_100=20,
            big_accounts=1_000_000, big_tickets=100_000,
            postgres_messages=1500, postgres_latency_messages=1000)
QUICK = Plan(pool=600, saturation_messages=600, saturation_runs=1,
             rates=(50, 100, 200), seconds=3, seconds_at_100=5,
             big_accounts=100_000, big_tickets=10_000,
             postgres_messages=400, postgres_latency_messages=300)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run while developing")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["scale", "memory", "postgres"], help="leave a part out")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    started = time.monotonic()
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full", "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(), "plan": plan.__dict__,
        "load_client": LOAD_CLIENT.format(n=f"{CLOSED_CONNECTIONS} (closed loop) or "
                                            f"{OPEN_CONNECTIONS} (open loop)"),
    }
    progress(f"building the message mix ({plan.pool} messages)")
    messages = mix.build(plan.pool, pool=plan.pool)
    results["mix"] = describe(messages)
    report.header(results)

    progress("floor")
    with tempfile.TemporaryDirectory(prefix="connector-floor-") as directory:
        results["floor"] = floor_rate(messages, Path(directory) / "floor.db")
    report.floor(results["floor"])
    floor = results["floor"]["rate"]
    save(results)

    progress("end to end on SQLite, closed loop: 1,000 accounts")
    results["sqlite"] = sweep.saturation(plan, accounts=1000, tickets=1000)
    report.end_to_end(results["sqlite"], floor)
    progress("end to end on SQLite, the Procfile's web + worker, closed loop")
    results["sqlite_procfile"] = sweep.saturation(plan, accounts=1000, tickets=1000, workers=1)
    report.end_to_end(results["sqlite_procfile"], floor)
    if "scale" not in args.skip:  # next to the small side in time: the machine is shared
        progress(f"scale: seeding {plan.big_accounts:,} accounts + contacts and "
                 f"{plan.big_tickets:,} tickets")
        results["scale"] = sweep.saturation(plan, accounts=plan.big_accounts,
                                            tickets=plan.big_tickets)
        report.scale(results["sqlite"], results["scale"])
    save(results)

    progress("latency at fixed offered loads")
    results["sweep"] = sweep.sweep(plan)
    report.sweep(results["sweep"], results["sqlite"]["saturation"][0])
    from bench.plot import plot  # matplotlib: the `bench` extra
    plot(results, PLOT)
    save(results)

    if "memory" not in args.skip:
        progress("memory: one 30 MB message, one 35 MB Postmark JSON")
        results["memory"] = memory.measure()
        report.memory(results["memory"])
        save(results)
    if "postgres" not in args.skip:
        progress("PostgreSQL: one web process, two workers")
        results["postgres"] = postgres.measure(
            messages=plan.postgres_messages, latency_messages=plan.postgres_latency_messages,
            pool=plan.pool)
        report.postgres(results["postgres"], floor)

    results["targets"] = targets(results)
    results["seconds"] = time.monotonic() - started
    report.summary(results["targets"])
    save(results)
    report.say()
    report.say(f"written: {OUT.relative_to(ROOT)}, {PLOT.relative_to(ROOT)}; "
               f"the whole run took {results['seconds'] / 60:.1f} min")


def save(results: dict[str, Any]) -> None:
    """After every part: a run stopped half way still leaves what it measured."""
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=1, default=str))


def describe(messages: list[bytes]) -> dict[str, Any]:
    sizes = [len(m) / 1000 for m in messages]

    def kind(raw: bytes) -> str:
        head = raw[:raw.index(b"\n\n")]
        if b"[Ticket #" in head:
            return "reply with quoted history"
        return "HTML + inline images" if b"multipart/alternative" in head else "attachments"

    kinds = Counter(kind(m) for m in messages)
    return {"count": len(messages), "min_kb": min(sizes), "max_kb": max(sizes),
            "mean_kb": statistics.mean(sizes), "median_kb": statistics.median(sizes),
            "kinds": ", ".join(f"{100 * n / len(messages):.0f}% {k}"
                               for k, n in kinds.most_common())}


def machine_cpu_ms(run: dict[str, Any]) -> float:
    """CPU a message of everything the run kept busy: the connector, the database server, the
    SMTP sink and the load client (on 2 cores, what bounds the throughput)."""
    return float(run["server_cpu_ms_per_message"] + run["database_cpu_ms_per_message"]
                 + run["sink_cpu_ms_per_message"] + run["client_cpu_ms_per_request"])


def targets(results: dict[str, Any]) -> list[tuple[str, str, bool]]:
    floor = results["floor"]["rate"]
    processed = mean(results["sqlite"]["saturation"], "processed_per_s")
    procfile = mean(results["sqlite_procfile"]["saturation"], "processed_per_s")
    at_100 = next(r for r in results["sweep"] if r["offered_per_s"] == 100)
    rows = [("processed >= 0.5 x floor (SQLite, make run)", f"{processed / floor:.2f} x floor",
             processed >= 0.5 * floor),
            ("processed >= 0.5 x floor (SQLite, Procfile web + worker)",
             f"{procfile / floor:.2f} x floor", procfile >= 0.5 * floor),
            ("acknowledgement p99 < 50 ms at 100/s (SQLite)",
             f"{at_100['p99_ms']:.1f} ms (disk fsync max {at_100.get('disk_fsync_max_ms', 0):.0f} ms)",
             at_100["p99_ms"] < 50)]
    if "scale" in results:
        big = mean(results["scale"]["saturation"], "processed_per_s")
        rows.append((f"{results['scale']['accounts']:,} accounts within 20% of 1,000",
                     f"{big / processed:.2f} x", big >= 0.8 * processed))
    pg = results.get("postgres", {})
    if "throughput" in pg:
        two = pg["throughput"]["processed_per_s"]
        sqlite_cpu = statistics.mean(machine_cpu_ms(r) for r in results["sqlite"]["saturation"])
        rows.append(("PostgreSQL, 2 workers: processed >= SQLite", f"{two:.0f} vs "
                     f"{processed:.0f} msg/s (CPU a message, all processes: "
                     f"{machine_cpu_ms(pg['throughput']):.1f} vs {sqlite_cpu:.1f} ms)",
                     two >= processed))
        if "one_worker" in pg:
            one = pg["one_worker"]["processed_per_s"]
            used = machine_cpu_ms(pg["one_worker"]) * one / 1000
            cores = os.cpu_count() or 1
            rows.append(("PostgreSQL: 2 workers >= 1.6 x 1 worker", f"{two / one:.2f} x (1 worker "
                         f"kept {used:.1f} of {cores} cores busy: {cores / used:.2f} x at its CPU "
                         "a message)", two >= 1.6 * one))
    if "memory" in results:
        worst = max(m["ratio"] for cases in results["memory"].values() for m in cases.values())
        rows.append(("peak memory (increase) < 4 x a 30-35 MB message", f"{worst:.1f} x", worst < 4))
    return rows


if __name__ == "__main__":
    main()
