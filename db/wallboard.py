"""Today's per-queue figures for the supervisor wallboard (local day in the hotline's zone).

answered = outcome answered or emergency_fallback (as db/reports_sql.py); abandoned = the caller
left the queue (abandoned_queue, short_abandon); service_level = answered within `service_level_s`
of waiting ÷ answered with a known wait (None when nothing was answered).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from db.reports import HOTLINE_TZ

TODAY_SQL = """
SELECT queue,
       count(*) FILTER (WHERE outcome IN ('answered', 'emergency_fallback')) AS answered,
       count(*) FILTER (WHERE outcome IN ('abandoned_queue', 'short_abandon')) AS abandoned,
       count(*) FILTER (WHERE outcome IN ('answered', 'emergency_fallback') AND wait_s <= $3::numeric)
           AS within_service_level,
       count(wait_s) FILTER (WHERE outcome IN ('answered', 'emergency_fallback')) AS timed_answers
  FROM calls
 WHERE queue IS NOT NULL
   AND started_at >= (date_trunc('day', $1::timestamptz AT TIME ZONE $2) AT TIME ZONE $2)
   AND started_at < $1::timestamptz
 GROUP BY queue
"""


async def today_by_queue(pool: asyncpg.Pool, now: datetime, *, tz: str = HOTLINE_TZ,
                         service_level_s: float = 20) -> dict[str, dict[str, Any]]:
    """{queue: {answered, abandoned, service_level}} for calls started since local midnight of `now`."""
    rows = await pool.fetch(TODAY_SQL, now, tz, service_level_s)
    return {row["queue"]: {
        "answered": row["answered"], "abandoned": row["abandoned"],
        "service_level": round(row["within_service_level"] / row["timed_answers"], 4) if row["timed_answers"]
        else None} for row in rows}
