"""Agents' state history: each change closes the agent's open row and opens the next one.

A change is written in the order it happened; a batch is one transaction, so a batch written
again after a failure (rolled back) is harmless.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Union

import asyncpg

from db.serialize import clean_text, json_row

Queryable = Union[asyncpg.Pool, asyncpg.Connection]


@dataclass(frozen=True)
class StateChange:
    ext: str
    state: str
    reason: str | None
    linkedid: str | None
    at: datetime


_CLOSE = """UPDATE agent_states SET ended_at = GREATEST($2, started_at)
            WHERE ext = $1 AND ended_at IS NULL"""
_OPEN = """INSERT INTO agent_states (ext, state, reason, linkedid, started_at)
           VALUES ($1, $2, $3, $4, $5)"""


async def write_state_changes(con: asyncpg.Connection, changes: list[StateChange]) -> None:
    async with con.transaction():
        for change in changes:
            await con.execute(_CLOSE, change.ext, change.at)
            await con.execute(_OPEN, change.ext, change.state,
                              None if change.reason is None else clean_text(change.reason),
                              change.linkedid, change.at)


async def state_history(pool: Queryable, ext: str, limit: int = 100) -> list[dict[str, Any]]:
    """An agent's latest states, newest first, with duration_s (None for the current one)."""
    rows = await pool.fetch(
        """SELECT ext, state, reason, linkedid, started_at, ended_at,
                  EXTRACT(EPOCH FROM ended_at - started_at)::float8 AS duration_s
           FROM agent_states WHERE ext = $1 ORDER BY started_at DESC, id DESC LIMIT $2""", ext, limit)
    return [json_row(row) for row in rows]
