"""What /proc says about the connector's processes (Linux): children, CPU time, memory; and
the machine the figures were measured on."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name, in parentheses, may hold spaces: the fields follow its last ")".
    return data[data.rindex(")") + 2:].split()


def parent(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[1]) if fields else 0


def descendants(pid: int) -> list[int]:
    """Children, grandchildren... of `pid` (the reader child is the forkserver's child)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User plus system CPU seconds of each process still alive."""
    result = {}
    for pid in pids:
        if (fields := _stat(pid)) is not None:
            result[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
    return result


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two snapshots; a process started in between counts from zero."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds per thread name (/proc/<pid>/task/*/comm: the connector names its threads
    for the OS, e.g. ingest-writer, processing, outbox; the event loop's is the process name)."""
    result: dict[str, float] = {}
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return result
    for task in tasks:
        try:
            name = (task / "comm").read_text().strip()
            data = (task / "stat").read_text()
        except OSError:
            continue
        fields = data[data.rindex(")") + 2:].split()
        result[name] = result.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / _TICKS
    return result


def machine_busy_seconds() -> float:
    """CPU seconds all processes on the machine have used (all cores, since boot)."""
    fields = _cpu_line()[:7]  # user nice system idle iowait irq softirq
    return (sum(fields) - fields[3] - fields[4]) / _TICKS  # less idle and iowait


def steal_seconds() -> float:
    """CPU seconds the hypervisor gave to other virtual machines while this one wanted them."""
    fields = _cpu_line()
    return fields[7] / _TICKS if len(fields) > 7 else 0.0


def _cpu_line() -> list[int]:
    return [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]


def memory_kib(pid: int, field: str = "VmRSS") -> int:
    """VmRSS (resident now) or VmHWM (the peak since start or since `reset_peak`), in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak(pid: int) -> bool:
    """Start VmHWM afresh at the current RSS (Linux >= 4.0; our own processes only)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def worker_child_pid(web: int) -> int | None:
    """`make run`'s worker child: the web process's child started by multiprocessing's spawn
    (api/entrypoints/worker_child.py; the readers are forked by its forkserver, further down)."""
    for pid in descendants(web):
        if "multiprocessing.spawn" in cmdline(pid):
            return pid
    return None


def machine() -> dict[str, object]:
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
                 platform.processor() or "unknown")
    memory = memory_total_gib()
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": memory,
            "kernel": platform.release(), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "load_average": os.getloadavg()[0]}


def memory_total_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0
