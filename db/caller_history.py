"""A caller number's earlier calls and tickets, for the agent's screen pop."""
from __future__ import annotations

from typing import Any

import asyncpg

from db.serialize import json_row

Queryable = asyncpg.Pool | asyncpg.Connection


async def number_history(pool: Queryable, number: str, *, exclude_linkedid: str | None = None,
                         limit: int = 10) -> dict[str, list[dict[str, Any]]]:
    calls = await pool.fetch(
        """SELECT linkedid, started_at, branch, queue, agent, outcome, emergency FROM calls
           WHERE caller_number = $1 AND ($2::text IS NULL OR linkedid <> $2)
           ORDER BY started_at DESC LIMIT $3""", number, exclude_linkedid, limit)
    tickets = await pool.fetch(
        """SELECT id, linkedid, branch, category, status, agency, created_at FROM tickets
           WHERE caller_number = $1 ORDER BY updated_at DESC, id DESC LIMIT $2""", number, limit)
    return {"calls": [json_row(r) for r in calls], "tickets": [json_row(r) for r in tickets]}
