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
        """SELECT id, linkedid, branch, category, status, agency, created_at, channel, tracking_code FROM tickets
           WHERE caller_number = $1 ORDER BY updated_at DESC, id DESC LIMIT $2""", number, limit)
    # Issue 14: the caller's written requests (portal, SMS) still open, whatever their age.
    requests = await pool.fetch(
        """SELECT id, branch, category, status, channel, tracking_code, claimed_by, created_at FROM tickets
           WHERE caller_number = $1 AND channel <> 'phone' AND status <> 'closed'
           ORDER BY created_at DESC LIMIT $2""", number, limit)
    return {"calls": [json_row(r) for r in calls], "tickets": [json_row(r) for r in tickets],
            "open_requests": [json_row(r) for r in requests]}


async def citizen_calls(pool: Queryable, number: str, limit: int = 10) -> list[dict[str, Any]]:
    """The calls from a written request's phone number (its detail on /written), newest first."""
    rows = await pool.fetch(
        """SELECT linkedid, started_at, branch, queue, agent, outcome FROM calls
           WHERE caller_number = $1 ORDER BY started_at DESC LIMIT $2""", number, limit)
    return [json_row(r) for r in rows]
