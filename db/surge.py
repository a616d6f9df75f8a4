"""The surge switch's audit log (migration 018, table surge_switches): every change, who, when.

A scope is 'all' (the whole hotline) or a queue name (one branch); its state is its latest row, and
a scope without a row is off.
"""
from __future__ import annotations

from typing import Any

import asyncpg

from db.serialize import json_row

Queryable = asyncpg.Pool | asyncpg.Connection

SCOPE_ALL = "all"

_CURRENT = """
SELECT DISTINCT ON (scope) id, scope, enabled, message, changed_by, changed_at
  FROM surge_switches ORDER BY scope, id DESC
"""


async def switch_surge(con: Queryable, *, scope: str, enabled: bool, message: str, changed_by: str,
                       remote_addr: str | None) -> dict[str, Any]:
    row = await con.fetchrow(
        """INSERT INTO surge_switches (scope, enabled, message, changed_by, remote_addr)
           VALUES ($1, $2, $3, $4, $5) RETURNING id, scope, enabled, message, changed_by, changed_at""",
        scope, enabled, message, changed_by, remote_addr)
    return json_row(row)


async def surge_states(con: Queryable) -> dict[str, dict[str, Any]]:
    """The latest row of every scope that ever had one, by scope."""
    return {r["scope"]: json_row(r) for r in await con.fetch(_CURRENT)}


async def surge_history(con: Queryable, *, limit: int = 50) -> list[dict[str, Any]]:
    rows = await con.fetch("SELECT id, scope, enabled, message, changed_by, changed_at, remote_addr"
                           " FROM surge_switches ORDER BY id DESC LIMIT $1", min(limit, 500))
    return [json_row(r) for r in rows]
