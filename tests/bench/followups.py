"""The abandoned-call worklist at scale (issue 13), on a private PostgreSQL:
`.venv/bin/python -m tests.bench.followups [CALLS]` (default 200,000) prints the figures as JSON.

CALLS calls over 30 days from CALLS/4 numbers are generated in SQL, 30 % of them abandoned in a queue
and the rest answered, in time order; the trigger on calls keeps the worklist as they are written. It
times the load with the trigger and without it (the trigger's cost per call), then the worklist's
reads as the page and the wallboard make them: the open items (200, oldest first) and its size.
Not part of `make bench` yet (its figures have no goal to meet); see docs/followups.md.
"""
from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time

import asyncpg

from db.followups import list_followups, worklist_size
from db.migrate import migrate
from tests.bench.private_db import on_private_database

_LOAD = """
INSERT INTO calls (linkedid, caller_number, branch, queue, language, started_at, ended_at, answered_at,
                   wait_s, outcome)
SELECT 'bench-' || i, '09' || lpad((i % ($1 / 4))::text, 8, '0'), 2 + i % 3, 'cdc', 'vi',
       t, t + interval '60 s', CASE WHEN abandoned THEN NULL ELSE t + interval '20 s' END,
       20, CASE WHEN abandoned THEN 'abandoned_queue' ELSE 'answered' END
  FROM (SELECT i, now() - interval '30 days' + i * (interval '30 days' / $1) AS t,
               (hashint4(i) % 10 + 10) % 10 < 3 AS abandoned
          FROM generate_series(1, $1) AS i) g
 ORDER BY i
"""


async def _timed(action) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def _bench(dsn: str, calls: int) -> dict:
    con = await asyncpg.connect(dsn)
    try:
        await migrate(con)
        without = await _timed(lambda: _load_without_trigger(con, calls))
        await con.execute("TRUNCATE calls CASCADE")
        with_trigger = await _timed(lambda: con.execute(_LOAD, calls))
        opened = await con.fetchval("SELECT count(*) FROM followups")
    finally:
        await con.close()
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        list_s = [await _timed(lambda: list_followups(pool, limit=200)) for _ in range(20)]
        size_s = [await _timed(lambda: worklist_size(pool)) for _ in range(20)]
        size = await worklist_size(pool)
    finally:
        await pool.close()
    return {"calls": calls, "items_ever_opened": opened, "open_items": size["open"],
            "load_s_without_trigger": round(without, 2), "load_s_with_trigger": round(with_trigger, 2),
            "trigger_us_per_call": round((with_trigger - without) / calls * 1e6, 1),
            "list_200_open_median_ms": round(statistics.median(list_s) * 1000, 2),
            "list_200_open_max_ms": round(max(list_s) * 1000, 2),
            "size_median_ms": round(statistics.median(size_s) * 1000, 2)}


async def _load_without_trigger(con: asyncpg.Connection, calls: int) -> None:
    await con.execute("ALTER TABLE calls DISABLE TRIGGER followups_from_call")
    try:
        await con.execute(_LOAD, calls)
    finally:
        await con.execute("ALTER TABLE calls ENABLE TRIGGER followups_from_call")


def main() -> int:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    figures = asyncio.run(on_private_database("ivr1022_followups", lambda dsn: _bench(dsn, calls)))
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
