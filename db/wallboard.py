"""Today's figures for the supervisor wallboard (local day in the hotline's zone).

Per queue: answered = outcome answered or emergency_fallback (as db/reports_sql.py); abandoned = the
caller left the queue (abandoned_queue, short_abandon); service_level = answered within
`service_level_s` of waiting ÷ answered with a known wait (None when nothing was answered);
abandon_rate = abandoned ÷ (answered + abandoned) (None when neither). The raw counts come too, so
the totals across queues are computed from them, not averaged from ratios.
Branch 1: every call that chose it today (key 1 or the fallback), those 115 answered, and those
that went to the fallback queue.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from db.reports import HOTLINE_TZ

_TODAY = """started_at >= (date_trunc('day', $1::timestamptz AT TIME ZONE $2) AT TIME ZONE $2)
   AND started_at < $1::timestamptz"""

TODAY_SQL = f"""
SELECT queue,
       count(*) FILTER (WHERE outcome IN ('answered', 'emergency_fallback')) AS answered,
       count(*) FILTER (WHERE outcome IN ('abandoned_queue', 'short_abandon')) AS abandoned,
       count(*) FILTER (WHERE outcome IN ('answered', 'emergency_fallback') AND wait_s <= $3::numeric)
           AS within_service_level,
       count(wait_s) FILTER (WHERE outcome IN ('answered', 'emergency_fallback')) AS timed_answers
  FROM calls
 WHERE queue IS NOT NULL
   AND {_TODAY}
 GROUP BY queue
"""

EMERGENCY_SQL = f"""
SELECT count(*) AS calls,
       count(*) FILTER (WHERE outcome = 'transferred_115') AS transferred_115,
       count(*) FILTER (WHERE queue = 'emergency') AS fallback
  FROM calls
 WHERE (branch = 1 OR emergency)
   AND {_TODAY}
"""


def figures(answered: int, abandoned: int, within_service_level: int, timed_answers: int) -> dict[str, Any]:
    """One queue's (or all queues') figures from its counts."""
    return {"answered": answered, "abandoned": abandoned,
            "within_service_level": within_service_level, "timed_answers": timed_answers,
            "service_level": round(within_service_level / timed_answers, 4) if timed_answers else None,
            "abandon_rate": round(abandoned / (answered + abandoned), 4) if answered + abandoned else None}


async def today_by_queue(pool: asyncpg.Pool, now: datetime, *, tz: str = HOTLINE_TZ,
                         service_level_s: float = 20) -> dict[str, dict[str, Any]]:
    """{queue: figures(...)} for calls started since local midnight of `now`."""
    rows = await pool.fetch(TODAY_SQL, now, tz, service_level_s)
    return {row["queue"]: figures(row["answered"], row["abandoned"], row["within_service_level"],
                                  row["timed_answers"]) for row in rows}


async def emergency_today(pool: asyncpg.Pool, now: datetime, *, tz: str = HOTLINE_TZ) -> dict[str, int]:
    """{calls, transferred_115, fallback}: today's branch-1 calls."""
    row = await pool.fetchrow(EMERGENCY_SQL, now, tz)
    return {"calls": row["calls"], "transferred_115": row["transferred_115"], "fallback": row["fallback"]}
