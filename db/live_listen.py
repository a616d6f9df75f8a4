"""The live listening audit log (migration 010): one append-only row per listen Asterisk accepted."""
from __future__ import annotations

from typing import Any

import asyncpg

from db.serialize import json_row

Queryable = asyncpg.Pool | asyncpg.Connection

MAX_AUDIT_LIMIT = 500


async def record_listen(con: Queryable, *, agent_ext: str, listener_ext: str, listener_role: str,
                        linkedid: str | None, remote_addr: str | None) -> int:
    return await con.fetchval(
        """INSERT INTO live_listen_log (agent_ext, listener_ext, listener_role, linkedid, remote_addr)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
        agent_ext, listener_ext, listener_role, linkedid, remote_addr)


async def list_listens(pool: Queryable, *, limit: int, before_id: int | None) -> list[dict[str, Any]]:
    """The log, newest first; page on with before_id = the last id of the previous page."""
    rows = await pool.fetch(
        """SELECT id, agent_ext, listener_ext, listener_role, linkedid, at, remote_addr FROM live_listen_log
           WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2""",
        before_id, min(limit, MAX_AUDIT_LIMIT))
    return [json_row(r) for r in rows]
