"""Intraday figures: one of the hotline's days cut into slots of 60 or 15 minutes.

Per slot: received, answered, abandoned, calls sent to 115, menu hang-ups, service level and the
agents logged in. The contacts are exactly the summary report's (db/reports_sql.py CONTACTS_CTE),
placed in the slot where the call started (a ticket: where it was opened), so the slots of a day
add up to that day's summary. Read from the raw rows: a day is small. docs/metrics.md defines them.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from db.reports_sql import CONTACTS_CTE
from db.serialize import json_value

SLOT_MINUTES = (60, 15)
INTRADAY_MEASURES = ("received", "answered", "abandoned", "transferred_115", "abandoned_ivr", "service_level",
                     "agents_logged_in")

# $1 start, $2 end (the local day's midnights), $3 zone, $4 short-abandon s, $5 service-level s,
# $6 the slot's length in seconds. A slot is [slot_start, slot_end); the last one ends at $2.
INTRADAY_SQL = f"""
WITH {CONTACTS_CTE},
slots AS (
    SELECT n, $1 + n * $6::int * interval '1 second' AS slot_start,
           LEAST($1 + (n + 1) * $6::int * interval '1 second', $2) AS slot_end
    FROM generate_series(0, ceil(extract(epoch FROM $2 - $1) / $6::int)::int - 1) AS n
),
counted AS (
    SELECT floor(extract(epoch FROM at - $1) / $6::int)::int AS n,
           count(*) AS received,
           count(*) FILTER (WHERE answered) AS answered,
           count(*) FILTER (WHERE queue_abandon) AS abandoned,
           count(*) FILTER (WHERE outcome = 'transferred_115') AS transferred_115,
           count(*) FILTER (WHERE outcome = 'abandoned_ivr') AS abandoned_ivr,
           count(*) FILTER (WHERE answered AND wait_s <= $5::numeric) AS within_service_level,
           count(wait_s) FILTER (WHERE answered) AS timed_answers
    FROM contacts
    GROUP BY 1
),
day_states AS (  -- the day's rows, found through agent_states_span_idx (the same expression)
    SELECT ext, started_at, GREATEST(COALESCE(ended_at, now()), started_at) AS ended_at
    FROM agent_states
    WHERE state <> 'logged_out'
      AND tstzrange(started_at, COALESCE(ended_at, 'infinity'), '[)') && tstzrange($1, $2, '[)')
),
logged_in AS (  -- an agent in any state but logged_out at some moment of the slot (an open row: until now)
    SELECT s.n, count(DISTINCT a.ext) AS agents
    FROM slots s
    JOIN day_states a ON a.started_at < s.slot_end AND a.ended_at > s.slot_start AND a.ended_at > a.started_at
    GROUP BY s.n
)
SELECT s.n, s.slot_start, to_char(s.slot_start AT TIME ZONE $3, 'HH24:MI') AS local_time,
       COALESCE(c.received, 0) AS received, COALESCE(c.answered, 0) AS answered,
       COALESCE(c.abandoned, 0) AS abandoned, COALESCE(c.transferred_115, 0) AS transferred_115,
       COALESCE(c.abandoned_ivr, 0) AS abandoned_ivr,
       round(c.within_service_level / NULLIF(c.timed_answers, 0)::numeric, 4) AS service_level,
       COALESCE(l.agents, 0) AS agents_logged_in
FROM slots s
LEFT JOIN counted c USING (n)
LEFT JOIN logged_in l USING (n)
ORDER BY s.n
"""


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """[day 00:00, next day 00:00) in tz (23 or 25 hours where the clocks change)."""
    zone = ZoneInfo(tz)
    return datetime.combine(day, time(), zone), datetime.combine(day + timedelta(days=1), time(), zone)


async def intraday(pool: asyncpg.Pool, *, day: date, tz: str, slot_min: int = 60, short_abandon_s: float = 5,
                   service_level_s: float = 20) -> dict[str, Any]:
    """{day, tz, slot_min, short_abandon_s, service_level_s, slots: [{start, time, measures...}]} (JSON-safe)."""
    if slot_min not in SLOT_MINUTES:
        raise ValueError(f"slot_min must be one of {SLOT_MINUTES}")
    start, end = day_bounds(day, tz)
    async with pool.acquire() as con, con.transaction(isolation="repeatable_read", readonly=True):
        await con.execute("SET LOCAL jit = off")
        rows = await con.fetch(INTRADAY_SQL, start, end, tz, Decimal(str(short_abandon_s)),
                               Decimal(str(service_level_s)), slot_min * 60)
    slots = [{"start": row["slot_start"].isoformat(), "time": row["local_time"],
              **{name: json_value(row[name]) for name in INTRADAY_MEASURES}} for row in rows]
    return {"day": day.isoformat(), "tz": tz, "slot_min": slot_min, "short_abandon_s": short_abandon_s,
            "service_level_s": service_level_s, "slots": slots}
