"""The live listening audit log: one append-only row per listen Asterisk accepted (migration 010),
and what became of it (migration 012: answered or not, when it ended)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from db.serialize import json_row

Queryable = asyncpg.Pool | asyncpg.Connection

MAX_AUDIT_LIMIT = 500
LISTEN_RESULTS = ("answered", "no_answer", "busy", "congestion", "failed", "ended")


@dataclass(frozen=True)
class ListenOutcome:
    listen_id: int        # live_listen_log.id
    result: str           # one of LISTEN_RESULTS
    at: datetime


async def record_listen(con: Queryable, *, agent_ext: str, listener_ext: str, listener_role: str,
                        linkedid: str | None, remote_addr: str | None, mode: str = "listen") -> int:
    """mode (migration 022): listen, whisper (the agent hears the listener) or barge (both parties do)."""
    return await con.fetchval(
        """INSERT INTO live_listen_log (agent_ext, listener_ext, listener_role, linkedid, remote_addr, mode)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
        agent_ext, listener_ext, listener_role, linkedid, remote_addr, mode)


async def write_listen_outcomes(con: asyncpg.Connection, outcomes: list[ListenOutcome]) -> None:
    """Idempotent: an outcome already written (a retry after a lost commit) is skipped."""
    await con.executemany(
        """INSERT INTO live_listen_outcomes (listen_id, result, at) VALUES ($1, $2, $3)
           ON CONFLICT (listen_id, result) DO NOTHING""",
        [(o.listen_id, o.result, o.at) for o in outcomes])


async def list_listens(pool: Queryable, *, limit: int, before_id: int | None) -> list[dict[str, Any]]:
    """The log, newest first; page on with before_id = the last id of the previous page. Each row has
    result (answered, no_answer, busy, congestion, failed; None while the phone rings or if Asterisk
    never said), answered_at and ended_at."""
    rows = await pool.fetch(
        """SELECT l.id, l.agent_ext, l.listener_ext, l.listener_role, l.linkedid, l.at, l.remote_addr, l.mode,
                  o.result, o.answered_at, o.ended_at
           FROM live_listen_log l
           LEFT JOIN LATERAL (
               SELECT max(result) FILTER (WHERE result <> 'ended') AS result,
                      min(at) FILTER (WHERE result = 'answered') AS answered_at,
                      min(at) FILTER (WHERE result = 'ended') AS ended_at
               FROM live_listen_outcomes WHERE listen_id = l.id) o ON true
           WHERE ($1::bigint IS NULL OR l.id < $1) ORDER BY l.id DESC LIMIT $2""",
        before_id, min(limit, MAX_AUDIT_LIMIT))
    return [json_row(r) for r in rows]
