"""Benchmark: the monthly summary on a month at the seeds' scale (250,000 calls, 16 agents).

`python -m tests.bench.reports [calls]` starts its own private PostgreSQL in a temp dir,
loads the month, runs db.reports.summary warm 5 times and prints the figures as JSON.
"""
from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from db.migrate import migrate
from db.reports import HOTLINE_TZ, summary
from tests.bench.dataset import generate, load
from tests.bench.private_db import on_private_database

MONTH_START = datetime(2021, 9, 1, tzinfo=ZoneInfo(HOTLINE_TZ))
MONTH_END = datetime(2021, 10, 1, tzinfo=ZoneInfo(HOTLINE_TZ))
SEED_SCALE_CALLS = 250_000
RUNS = 5


async def bench_reports(dsn: str, calls: int = SEED_SCALE_CALLS) -> dict[str, Any]:
    """dsn: an empty database. Loads the month, then times the warm summary."""
    began = time.perf_counter()
    data = generate(calls, MONTH_START, MONTH_END, seed=2021)
    generated = time.perf_counter()
    con = await asyncpg.connect(dsn)
    try:
        await migrate(con)
        await load(con, data)
    finally:
        await con.close()
    loaded = time.perf_counter()
    # One connection, so its backend's CPU time can be read too: wall time on a busy machine
    # measures the neighbours as much as the query.
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    try:
        backend = await pool.fetchval("SELECT pg_backend_pid()")
        report = await summary(pool, start=MONTH_START, end=MONTH_END)   # warm-up: caches, plans
        timings, cpu = [], []
        for _ in range(RUNS):
            t0, c0 = time.perf_counter(), _cpu_seconds(backend)
            await summary(pool, start=MONTH_START, end=MONTH_END)
            timings.append(time.perf_counter() - t0)
            cpu.append(_cpu_seconds(backend) - c0)
    finally:
        await pool.close()
    return {
        "calls": len(data.calls), "wrapups": len(data.wrapups), "agent_states": len(data.states),
        "tickets": len(data.tickets), "generate_s": round(generated - began, 2),
        "load_s": round(loaded - generated, 2), "runs": RUNS,
        "summary_median_s": round(statistics.median(timings), 3), "summary_max_s": round(max(timings), 3),
        "backend_cpu_median_s": round(statistics.median(cpu), 3), "load_average_1m": os.getloadavg()[0],
        "received": report["totals"]["received"], "success_rate": report["totals"]["success_rate"],
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a local PostgreSQL backend (Linux /proc); 0 when unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _main(calls: int) -> dict[str, Any]:
    return await on_private_database("bench_reports", lambda dsn: bench_reports(dsn, calls))


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else SEED_SCALE_CALLS
    print(json.dumps(asyncio.run(_main(count)), indent=2))
