"""Benchmark piece: the intraday report (db/reports_intraday.py) of one day inside the year's data,
per hour and per 15 minutes, warm. Called by tests/bench/reports_year.py on its database; the goal
(docs/performance.md) is a wallboard refresh that costs little: ≤ 0.2 s for the busiest day."""
from __future__ import annotations

import statistics
import time
from datetime import date
from typing import Any

import asyncpg

from db.reports import HOTLINE_TZ
from db.reports_intraday import SLOT_MINUTES, intraday
from tests.bench.reports import _cpu_seconds

RUNS = 5


async def busiest_day(pool: asyncpg.Pool) -> date:
    return await pool.fetchval("""SELECT (started_at AT TIME ZONE $1)::date AS day FROM calls
                                  GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1""", HOTLINE_TZ)


async def bench_intraday(pool: asyncpg.Pool, backend: int, runs: int = RUNS) -> dict[str, Any]:
    """{day, received, per slot length: runs, median_s, max_s, backend_cpu_median_s}."""
    day = await busiest_day(pool)
    figures: dict[str, Any] = {"day": day.isoformat()}
    for slot_min in SLOT_MINUTES:
        report = await intraday(pool, day=day, tz=HOTLINE_TZ, slot_min=slot_min)    # warm-up
        timings, cpu = [], []
        for _ in range(runs):
            t0, c0 = time.perf_counter(), _cpu_seconds(backend)
            await intraday(pool, day=day, tz=HOTLINE_TZ, slot_min=slot_min)
            timings.append(time.perf_counter() - t0)
            cpu.append(_cpu_seconds(backend) - c0)
        figures["received"] = sum(slot["received"] for slot in report["slots"])
        figures[f"slot_{slot_min}"] = {"runs": runs, "median_s": round(statistics.median(timings), 3),
                                       "max_s": round(max(timings), 3),
                                       "backend_cpu_median_s": round(statistics.median(cpu), 3)}
    return figures
