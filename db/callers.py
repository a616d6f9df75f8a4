"""What we know of a caller number from earlier calls (used to set queue priority)."""
from __future__ import annotations

from dataclasses import dataclass

import asyncpg

_HISTORY = """
SELECT count(*) FILTER (WHERE outcome IN ('abandoned_queue', 'short_abandon')) AS abandoned,
       count(*) AS calls
  FROM calls
 WHERE caller_number = $1 AND started_at > now() - make_interval(hours => $2)
"""


@dataclass(frozen=True)
class CallerHistory:
    abandoned: int
    calls: int


async def caller_history(pool: asyncpg.Pool, number: str, hours: int = 24) -> CallerHistory:
    row = await pool.fetchrow(_HISTORY, number, hours)
    return CallerHistory(abandoned=row["abandoned"], calls=row["calls"])
