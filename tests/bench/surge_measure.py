"""Measurements of the surge bench: CPU time from /proc, concurrent calls from Asterisk,
call records and event → row latency from PostgreSQL."""
from __future__ import annotations

import asyncio
import os
import re
from datetime import datetime
from pathlib import Path

import asyncpg

from runtime.asterisk import AsteriskError, AsteriskInstance

TICKS = os.sysconf("SC_CLK_TCK")
_ACTIVE = re.compile(r"(\d+) active call")
_CHANNELS = re.compile(r"(\d+) active channel")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()    # fields from 3 (state) on


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids += [int(p) for p in task.read_text().split()]
        except OSError:
            pass
    return kids


def tree_cpu_s(pid: int | None) -> float:
    """CPU seconds (user + system) of a process and every descendant, live or reaped: each live
    process's utime+stime plus cutime+cstime (its waited-for children), summed over the tree."""
    if pid is None:
        return 0.0
    total, todo, seen = 0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        fields = _stat_fields(current)
        if fields is None:
            continue
        total += sum(int(v) for v in fields[11:15])      # utime stime cutime cstime
        todo += _children(current)
    return total / TICKS


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]                  # idle + iowait
    return (sum(values[:8]) - idle) / TICKS, sum(values[:8]) / TICKS


def own_cpu() -> tuple[float, float]:
    """(this process, its reaped children) CPU seconds: the bench itself, and the sipp callers
    and CLI samplers that exited during a phase (children are reaped by asyncio)."""
    t = os.times()
    return t.user + t.system, t.children_user + t.children_system


def udp_socket_drops(port: int) -> int:
    """Datagrams the kernel dropped on the 127.0.0.1:<port> UDP socket (its receive buffer was
    full: the process did not read in time) — /proc/net/udp's `drops` column."""
    wanted = f"0100007F:{port:04X}"
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted:
            return int(fields[-1])
    return 0


class CpuMeter:
    """CPU seconds spent by named process trees between start() and stop(), plus the bench
    itself, the load generators (reaped sipp callers), and the machine's busy share."""

    def __init__(self, pids: dict[str, int | None], sip_port: int = 0) -> None:
        self.pids = pids
        self.sip_port = sip_port
        self._before: dict[str, float] = {}
        self._own: tuple[float, float] = (0.0, 0.0)
        self._machine: tuple[float, float] = (0.0, 0.0)
        self.seconds: dict[str, float] = {}
        self.others: dict[str, float] = {}
        self.machine_busy_pct = 0.0
        self._udp_drops = 0
        self.sip_socket_drops = 0

    def start(self) -> None:
        self._before = {name: tree_cpu_s(pid) for name, pid in self.pids.items()}
        self._own, self._machine = own_cpu(), machine_cpu()
        self._udp_drops = udp_socket_drops(self.sip_port)

    def stop(self) -> dict[str, float]:
        self.seconds = {name: round(tree_cpu_s(pid) - self._before[name], 2)
                        for name, pid in self.pids.items()}
        own, machine = own_cpu(), machine_cpu()
        self.others = {"bench_process": round(own[0] - self._own[0], 2),
                       "load_generators": round(own[1] - self._own[1], 2)}
        busy, total = machine[0] - self._machine[0], machine[1] - self._machine[1]
        self.machine_busy_pct = round(100 * busy / total, 1) if total else 0.0
        self.sip_socket_drops = udp_socket_drops(self.sip_port) - self._udp_drops
        return self.seconds


class ChannelSampler:
    """Samples `core show channels count` every `interval` s; keeps the peaks."""

    def __init__(self, asterisk: AsteriskInstance, interval: float = 1.0) -> None:
        self.asterisk = asterisk
        self.interval = interval
        self.peak_calls = 0
        self.peak_channels = 0
        self.samples = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="channel-sampler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                out = await self.asterisk.cli("core show channels count")
            except AsteriskError:
                out = ""
            calls, channels = _ACTIVE.search(out), _CHANNELS.search(out)
            if calls and channels:
                self.samples += 1
                self.peak_calls = max(self.peak_calls, int(calls[1]))
                self.peak_channels = max(self.peak_channels, int(channels[1]))
            await asyncio.sleep(self.interval)


async def record_stats(database_url: str, since: datetime) -> dict[str, object]:
    """Calls rows started since `since`: how many, how many complete, by outcome, and the
    latency from the hang-up event (ended_at is Asterisk's event Timestamp) to the row's last
    committed update (updated_at = now() of the writing transaction)."""
    con = await asyncpg.connect(database_url, timeout=10)
    try:
        rows = await con.fetch(
            "SELECT outcome, complete, EXTRACT(EPOCH FROM updated_at - ended_at)::float8 AS lag"
            " FROM calls WHERE started_at >= $1", since)
    finally:
        await con.close()
    lags = sorted(r["lag"] for r in rows if r["complete"] and r["lag"] is not None)
    outcomes: dict[str, int] = {}
    for row in rows:
        outcomes[row["outcome"] or "incomplete"] = outcomes.get(row["outcome"] or "incomplete", 0) + 1
    return {"rows": len(rows), "complete": sum(1 for r in rows if r["complete"]), "outcomes": outcomes,
            "event_to_row_ms": percentiles(lags)}


async def wrapups_count(database_url: str, since: datetime) -> int:
    con = await asyncpg.connect(database_url, timeout=10)
    try:
        return await con.fetchval(
            "SELECT count(*) FROM wrapups w JOIN calls c USING (linkedid) WHERE c.started_at >= $1", since)
    finally:
        await con.close()


def percentiles(values_s: list[float]) -> dict[str, float] | None:
    """p50/p95/p99/max in ms of sorted values in seconds (None when there are none)."""
    if not values_s:
        return None

    def at(q: float) -> float:
        return round(1000 * values_s[min(len(values_s) - 1, int(q * len(values_s)))], 1)

    return {"n": len(values_s), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99),
            "max": round(1000 * values_s[-1], 1)}


def per_1000_calls(cpu_s: dict[str, float], calls: int) -> dict[str, float | None]:
    return {name: (round(1000 * s / calls, 1) if calls else None) for name, s in cpu_s.items()}
