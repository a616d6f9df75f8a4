"""Benchmark: the summary over a year (3,000,000 calls) and over one of its months, from the
per-day roll-up (migration 015) and, for comparison, from the raw rows.

The year is generated inside PostgreSQL (generate_series, seeded random()), never row by row in
Python, so 3 M calls cost memory only in the server. The load runs with triggers off
(session_replication_role = replica: a bulk load, as a restore would be), writes calls.wrap_us
itself, then rebuilds the roll-up from the raw rows (report_rollup_rebuild, timed as rebuild_s).
Every timed report is also checked: the roll-up's report must equal the raw one.

`python -m tests.bench.reports_year [calls]` runs it on a private PostgreSQL in a temp dir.
"""
from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from db.migrate import migrate
from db.reports import HOTLINE_TZ, summary
from tests.bench.intraday import bench_intraday
from tests.bench.reports import _cpu_seconds
from tests.bench.private_db import on_private_database

LOCAL = ZoneInfo(HOTLINE_TZ)
YEAR = (datetime(2021, 1, 1, tzinfo=LOCAL), datetime(2022, 1, 1, tzinfo=LOCAL))
MONTH = (datetime(2021, 9, 1, tzinfo=LOCAL), datetime(2021, 10, 1, tzinfo=LOCAL))
YEAR_CALLS = 3_000_000
ROLLUP_RUNS, RAW_RUNS = 5, 2

# One row per call with its random draws; the tables are filled from it. $1 first, $2 last, $3 calls.
_DRAWS = """
CREATE TEMP TABLE draws AS
SELECT i, 'y' || i AS linkedid,
       date_trunc('milliseconds', $1::timestamptz + ($2::timestamptz - $1::timestamptz) * ((i - 1 + r0) / $3)) AS started_at,
       CASE WHEN r1 < 0.6 THEN 'agent'
            WHEN r1 < 0.6 + 0.4 * 8 / 31 THEN 'abandoned_ivr'
            WHEN r1 < 0.6 + 0.4 * 13 / 31 THEN 'short_abandon'
            WHEN r1 < 0.6 + 0.4 * 20 / 31 THEN 'abandoned_queue'
            WHEN r1 < 0.6 + 0.4 * 26 / 31 THEN 'transferred_115'
            WHEN r1 < 0.6 + 0.4 * 29 / 31 THEN 'left_message'
            WHEN r1 < 0.6 + 0.4 * 30 / 31 THEN 'failed' END AS kind,
       1 + floor(r2 * 4)::int AS branch, r3, r4, r5, r6, r7
FROM (SELECT i, random() AS r0, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
             random() AS r6, random() AS r7
      FROM generate_series(1, $3::int) AS i) r
"""

_SHAPED = """
CREATE TEMP TABLE shaped AS
SELECT linkedid, started_at, i,
       CASE WHEN kind = 'abandoned_ivr' THEN NULL WHEN kind = 'transferred_115' THEN 1
            WHEN kind IN ('agent', 'failed') THEN branch ELSE 2 + (branch % 3) END AS branch,
       CASE WHEN kind = 'agent' AND branch = 1 THEN 'emergency_fallback' WHEN kind = 'agent' THEN 'answered'
            ELSE kind END AS outcome,
       CASE WHEN kind = 'agent' THEN round((r3 * 60)::numeric, 3)
            WHEN kind = 'short_abandon' THEN round((r3 * 4.999)::numeric, 3)
            WHEN kind = 'abandoned_queue' THEN round((5 + r3 * 100)::numeric, 3) END AS wait_s,
       CASE WHEN kind = 'agent' THEN round((30 + r4 * 370)::numeric, 3) END AS talk_s,
       CASE WHEN kind = 'agent' THEN 5000 + floor(r5 * 60000)::int END AS wrap_ms,
       CASE WHEN kind = 'agent' THEN (1001 + i % 16)::text END AS agent,
       CASE WHEN kind = 'agent' AND r6 < 0.95
            THEN (ARRAY['answered', 'resolved', 'forwarded', 'needs_verification'])[1 + floor(r7 * 4)::int] END
           AS wrapup,
       (ARRAY['Sở Y tế', 'Công an thành phố', 'UBND quận Ba Đình', 'CDC Hà Nội', NULL])[1 + i % 5] AS agency
FROM draws
"""

_FILL = [
    """INSERT INTO calls (linkedid, branch, queue, emergency, started_at, answered_at, ended_at, agent, wait_s,
                          talk_s, outcome, wrap_us)
       SELECT linkedid, branch, (ARRAY['emergency', 'cdc', 'doctors', 'violations'])[branch], COALESCE(branch = 1, false), started_at,
              CASE WHEN outcome IN ('answered', 'emergency_fallback') THEN started_at + wait_s * interval '1 second' END,
              started_at + (COALESCE(wait_s, 20) + COALESCE(talk_s, 0)) * interval '1 second',
              agent, wait_s, talk_s, outcome, COALESCE(wrap_ms, 0) * 1000::bigint
       FROM shaped""",
    """INSERT INTO wrapups (linkedid, ext, category, outcome, agency, submitted_by, submitted_at)
       SELECT linkedid, agent, 'general', wrapup,
              CASE WHEN wrapup = 'forwarded' THEN COALESCE(agency, 'Sở Y tế')
                   WHEN wrapup = 'needs_verification' THEN agency END,
              agent, started_at + interval '10 minutes'
       FROM shaped WHERE wrapup IS NOT NULL""",
    """INSERT INTO agent_states (ext, state, reason, linkedid, started_at, ended_at)
       SELECT agent, s.state, NULL, CASE WHEN s.state = 'wrap_up' THEN linkedid END, s.began, s.ended
       FROM (SELECT *, started_at + wait_s * interval '1 second' AS answered_at FROM shaped WHERE agent IS NOT NULL) c,
            LATERAL (VALUES ('ringing', c.answered_at - interval '3 seconds', c.answered_at),
                            ('on_call', c.answered_at, c.answered_at + talk_s * interval '1 second'),
                            ('wrap_up', c.answered_at + talk_s * interval '1 second',
                             c.answered_at + talk_s * interval '1 second' + wrap_ms * interval '1 millisecond'))
                AS s (state, began, ended)""",
    # a lunch (or other) pause per agent per day, across local midnight for one agent
    """INSERT INTO agent_states (ext, state, reason, started_at, ended_at)
       SELECT (1001 + a)::text, 'paused', (ARRAY['lunch', 'training', 'break', NULL])[1 + (a + d) % 4],
              (($1::timestamptz AT TIME ZONE $3)::date + d)::timestamp AT TIME ZONE $3
                  + CASE WHEN a = 0 THEN interval '23 hours 30 minutes' ELSE interval '12 hours' END,
              (($1::timestamptz AT TIME ZONE $3)::date + d)::timestamp AT TIME ZONE $3
                  + CASE WHEN a = 0 THEN interval '24 hours 15 minutes' ELSE interval '12 hours 40 minutes' END
       FROM generate_series(0, 15) AS a,
            generate_series(0, ($2::timestamptz AT TIME ZONE $3)::date - ($1::timestamptz AT TIME ZONE $3)::date - 1) AS d""",
    """INSERT INTO tickets (branch, category, status, agency, created_by, created_at)
       SELECT branch, 'web', s, CASE WHEN s IN ('forwarded', 'verified') THEN agency END, 'portal', started_at
       FROM (SELECT branch, agency, started_at + interval '17 seconds' AS started_at,
                    (ARRAY['open', 'forwarded', 'verified', 'closed'])[1 + i % 4] AS s
             FROM shaped WHERE i % 20 = 0) t""",
]


async def generate_in_sql(con: asyncpg.Connection, calls: int, first: datetime, last: datetime) -> dict[str, float]:
    """Fill a fresh, migrated database; the seconds it took to load and to build the roll-up."""
    began = time.perf_counter()
    async with con.transaction():
        await con.execute("SET LOCAL session_replication_role = replica")   # a bulk load: no row triggers
        await con.execute("SELECT setseed(0.18)")
        await con.execute(_DRAWS, first, last, calls)
        await con.execute(_SHAPED)
        await con.execute(_FILL[0])
        await con.execute(_FILL[1])
        await con.execute(_FILL[2])
        await con.execute(_FILL[3], first, last, HOTLINE_TZ)
        await con.execute(_FILL[4])
        await con.execute("DROP TABLE draws, shaped")
    loaded = time.perf_counter()
    async with con.transaction():
        await con.execute("SELECT report_rollup_rebuild()")
    rebuilt = time.perf_counter()
    await con.execute("VACUUM ANALYZE calls, wrapups, agent_states, tickets, report_contact_days, report_agent_days")
    return {"load_s": round(loaded - began, 1), "rebuild_s": round(rebuilt - loaded, 1)}


async def _timed(pool: asyncpg.Pool, backend: int, bounds: tuple[datetime, datetime], runs: int,
                 rollup: bool) -> tuple[dict[str, Any], dict[str, float]]:
    start, end = bounds
    report = await summary(pool, start=start, end=end, rollup=rollup)    # warm-up: caches, plans
    timings, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), _cpu_seconds(backend)
        await summary(pool, start=start, end=end, rollup=rollup)
        timings.append(time.perf_counter() - t0)
        cpu.append(_cpu_seconds(backend) - c0)
    return report, {"runs": runs, "median_s": round(statistics.median(timings), 3), "max_s": round(max(timings), 3),
                    "backend_cpu_median_s": round(statistics.median(cpu), 3)}


async def bench_rollup(dsn: str, calls: int = YEAR_CALLS) -> dict[str, Any]:
    """dsn: an empty database. Generates the year, then times year and month, roll-up and raw."""
    figures: dict[str, Any] = {"load_average_at_start": list(os.getloadavg())}
    con = await asyncpg.connect(dsn)
    try:
        await migrate(con)
        figures.update(await generate_in_sql(con, calls, *YEAR))
        for table in ("calls", "wrapups", "agent_states", "tickets", "report_contact_days", "report_agent_days"):
            figures[table] = await con.fetchval(f"SELECT count(*) FROM {table}")
    finally:
        await con.close()
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    try:
        backend = await pool.fetchval("SELECT pg_backend_pid()")
        for name, bounds in (("month", MONTH), ("year", YEAR)):
            rolled, figures[f"{name}_rollup"] = await _timed(pool, backend, bounds, ROLLUP_RUNS, rollup=True)
            raw, figures[f"{name}_raw"] = await _timed(pool, backend, bounds, RAW_RUNS, rollup=False)
            figures[f"{name}_rollup_equals_raw"] = rolled == raw
            figures[f"{name}_received"] = rolled["totals"]["received"]
        figures["intraday"] = await bench_intraday(pool, backend)
    finally:
        await pool.close()
    figures["load_average_at_end"] = list(os.getloadavg())
    return figures


async def _main(calls: int) -> dict[str, Any]:
    return await on_private_database("bench_rollup", lambda dsn: bench_rollup(dsn, calls))


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else YEAR_CALLS
    print(json.dumps(asyncio.run(_main(count)), indent=2))
