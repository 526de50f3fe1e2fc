"""Printing the figures, section by section, as each is measured."""

from __future__ import annotations

from typing import Any

from bench.e2e import OUTBOX_WAIT
from bench.sweep import mean


def say(text: str = "") -> None:
    print(text, flush=True)


def header(results: dict[str, Any]) -> None:
    m, mix = results["machine"], results["mix"]
    say(f"Email Connector benchmark ({results['mode']} run, {results['date']})")
    say(f"machine:     {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, "
        f"Linux {m['kernel']}, Python {m['python']}, SQLite {m['sqlite']}")
    say(f"             load average {m['load_average']:.2f} at start (a shared machine: other "
        "processes' CPU use is shown per run)")
    say(f"load client: {results['load_client']}")
    say(f"message mix: {mix['count']} distinct messages, {mix['min_kb']:.1f}-{mix['max_kb']:.0f} "
        f"KB, mean {mix['mean_kb']:.1f} KB, median {mix['median_kb']:.1f} KB: {mix['kinds']}")


def floor(f: dict[str, Any]) -> None:
    say()
    say("FLOOR: stdlib parse (message_from_bytes, compat32) + one SQLite WAL synchronous=FULL "
        "commit of the raw bytes, per message, one process")
    say(f"  {f['rate']:7.0f} msg/s    parse {f['parse_ms']:.2f} ms + commit "
        f"{f['commit_ms']:.2f} ms per message ({f['messages']} messages)")


def _run_line(label: str, r: dict[str, Any], floor_rate: float) -> str:
    threads = ", ".join(f"{name} {ms:.1f}"
                        for name, ms in r["cpu_ms_per_message_by_thread"].items())
    database = (f"; PostgreSQL {r['database_cpu_ms_per_message']:.1f} ms"
                if r.get("database_cpu_ms_per_message") else "")
    pad = " " * 10
    sent = (f" (from the actual send: {r['p50_sent_ms']:.1f}, {r['p99_sent_ms']:.1f})"
            if r["offered_per_s"] else "")
    return (f"  {label:<8} accepted {r['accepted_per_s']:4.0f}/s, processed "
            f"{r['processed_per_s']:4.0f}/s = {r['processed_per_s'] / floor_rate:4.2f} x floor; "
            f"acknowledgement p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms{sent}   "
            f"[{r['accepted']} messages, {r['errors']} errors, {r['failed']} failed]\n"
            f"{pad}outbox delivered {r['delivered_per_s']:.0f} mails/s meanwhile; "
            f"{r['outbox_backlog']} still waiting {OUTBOX_WAIT} s after processing ended\n"
            f"{pad}CPU per message: connector {r['server_cpu_ms_per_message']:.1f} ms "
            f"({threads}){database}; SMTP sink {r['sink_cpu_ms_per_message']:.1f} ms; "
            f"load client {r['client_cpu_ms_per_request']:.2f} ms; other processes used "
            f"{r['others_cpu_share']:.0%} of the machine{_steal(r)}")


def _steal(r: dict[str, Any]) -> str:
    steal = r.get("steal_share", 0.0)
    return f" (and the hypervisor withheld {steal:.0%})" if steal >= 0.01 else ""


def end_to_end(sqlite: dict[str, Any], floor_rate: float) -> None:
    runs = sqlite["saturation"]
    processed = mean(runs, "processed_per_s")
    say()
    shape = ("the Procfile's web and worker processes" if sqlite.get("workers") else
             "default configuration (make run: the web process and its worker child)")
    say(f"END TO END, SQLite, {shape}, "
        f"{sqlite['accounts']:,} accounts + contacts, {sqlite['tickets']:,} tickets; closed loop, "
        f"{runs[0]['connections']} connections")
    say("  (accepted: HTTP 200 per second of sending; processed: accepted messages per second "
        "from the first send to the last outcome committed)")
    for i, r in enumerate(runs):
        say(_run_line(f"run {i + 1}", r, floor_rate))
    say(f"  mean     accepted {mean(runs, 'accepted_per_s'):4.0f}/s, processed {processed:4.0f}/s "
        f"= {processed / floor_rate:4.2f} x floor   (target: processed >= 0.5 x floor)")
    say(f"  outcomes of run 1: {runs[0]['outcomes']}")


def sweep(points: list[dict[str, Any]], closed: dict[str, Any]) -> None:
    say()
    say("LATENCY of the acknowledgement (HTTP 200 after the durable commit) at fixed offered "
        "loads; SQLite, default configuration, a fresh database (1,000 accounts); open loop, "
        f"{points[0]['connections']} connections, latency measured from when each message was due")
    say("  offered/s  accepted/s  processed/s   p50 ms   p99 ms   max ms  messages  errors  "
        "delivered/s  backlog  others  disk max ms (>20)")
    for r in points + [dict(closed, offered_per_s=None)]:
        offered = f"{r['offered_per_s']:g}" if r["offered_per_s"] else "max"
        say(f"  {offered:>9}  {r['accepted_per_s']:10.0f}  {r['processed_per_s']:11.0f}  "
            f"{r['p50_ms']:7.1f}  {r['p99_ms']:7.1f}  {r['max_ms']:7.1f}  {r['accepted']:8}  "
            f"{r['errors']:6}  {r['delivered_per_s']:11.0f}  {r['outbox_backlog']:7}  "
            f"{r['others_cpu_share']:5.0%}  {_disk(r)}")
    say(f"  (max: closed-loop run 1 above. delivered/s: mail the outbox sent meanwhile; backlog: "
        f"mail still unsent {OUTBOX_WAIT} s after\n   processing ended; others: the share of the "
        "machine's CPU used by processes other than the connector, the load client and this one."
        "\n   disk: the slowest of bench/floor.py's DiskProbe fsyncs during the run, and how many"
        " took over 20 ms.\n   Target: p99 < 50 ms at 100/s)")


def _disk(r: dict[str, Any]) -> str:
    if "disk_fsync_max_ms" not in r:
        return "-"
    return f"{r['disk_fsync_max_ms']:11.1f} ({r['disk_fsync_slow']})"


def scale(small: dict[str, Any], big: dict[str, Any]) -> None:
    say()
    say("SCALE: the same closed-loop runs (same message contents, batch for batch) against a small "
        "and a big database")
    for side in (small, big):
        runs = side["saturation"]
        each = ", ".join(f"{r['processed_per_s']:.0f}" for r in runs)
        say(f"  {side['accounts']:>9,} accounts + contacts, {side['tickets']:>7,} tickets: "
            f"seeded in {side['seed_seconds']:5.1f} s; processed "
            f"{mean(runs, 'processed_per_s'):4.0f}/s (runs: {each}), accepted "
            f"{mean(runs, 'accepted_per_s'):.0f}/s; connector CPU "
            f"{mean(runs, 'server_cpu_ms_per_message'):.1f} ms/message; others used "
            f"{mean(runs, 'others_cpu_share'):.0%} of the machine")
        say(f"  {'':>9}  outcomes of run 1: {runs[0]['outcomes']}")
    ratio = mean(big["saturation"], "processed_per_s") / mean(small["saturation"],
                                                              "processed_per_s")
    say(f"  big / small = {ratio:.2f} processed/s   (target: within 20%, i.e. >= 0.80)")
    # The reader's work does not depend on the database at all: how much longer it took on the
    # big side says how much slower the (shared) machine was; the processing thread's lookups
    # and writes are what the database size can slow down.
    reader, processing = (_thread_ratio(small, big, t) for t in ("web reader", "web processing"))
    say(f"  CPU per message big / small: processing thread {processing:.2f}, reader child "
        f"{reader:.2f} (its work is independent of the database: a control for a busier machine)")


def _thread_ratio(small: dict[str, Any], big: dict[str, Any], thread: str) -> float:
    def cpu(side: dict[str, Any]) -> float:
        runs = side["saturation"]
        return sum(r["cpu_ms_per_message_by_thread"].get(thread, 0.0) for r in runs) / len(runs)
    return cpu(big) / cpu(small) if cpu(small) else float("nan")


def memory(configurations: dict[str, Any]) -> None:
    say()
    say("MEMORY: peak resident memory accepting and processing one large message (mostly one "
        "attachment), per process; increase over idle")
    for configuration, cases in configurations.items():
        say(f" {configuration}:")
        for case, m in cases.items():
            say(f"  {case} ({m['message_bytes'] / 1e6:.1f} MB, {m['outcome']}, "
                f"{m['seconds']:.1f} s):")
            for name, p in m["processes"].items():
                say(f"    {name:<13} peak {p['peak_mb']:6.0f} MB  idle {p['idle_mb']:5.0f} MB  "
                    f"increase {p['increase_mb']:5.0f} MB")
            say(f"    {'all at once':<13} peak {m['together_peak_mb']:6.0f} MB  idle "
                f"{m['together_idle_mb']:5.0f} MB  increase {m['together_increase_mb']:5.0f} MB")
            for name, by_phase in m["peak_by_phase_mb"].items():
                phases = ", ".join(f"{phase} {mb:.0f} MB" for phase, mb in by_phase.items())
                say(f"    {name} peak by phase: {phases}")
            say(f"    increase (all processes) / message size = {m['ratio']:.1f} x   "
                "(target: < 4 x)")


def postgres(pg: dict[str, Any], floor_rate: float) -> None:
    say()
    if "skipped" in pg:
        say(f"POSTGRESQL: skipped ({pg['skipped']})")
        return
    f = pg["floor"]
    say(f"POSTGRESQL: {pg['server']} on this machine, one web process + {pg['workers']} worker "
        f"processes, {pg['accounts']:,} accounts, {pg['tickets']:,} tickets; a short run, "
        "ratios to the SQLite floor above")
    say(f"  its own floor (parse + one PostgreSQL commit per message): {f['rate']:.0f} msg/s, "
        f"parse {f['parse_ms']:.2f} ms + commit {f['commit_ms']:.2f} ms; processed / this floor:"
        f" closed loop {pg['throughput']['processed_per_s'] / f['rate']:.2f}")
    say(_run_line("closed", pg["throughput"], floor_rate))
    say(_run_line("100/s", pg["latency_100"], floor_rate))
    if "one_worker" in pg:
        say(_run_line("1 worker", pg["one_worker"], floor_rate))


def summary(rows: list[tuple[str, str, bool]]) -> None:
    say()
    say("TARGETS")
    for name, figure, met in rows:
        say(f"  {'met    ' if met else 'NOT MET'}  {name:<48} {figure}")
