"""SIP bans (migration 021): written by the controller's SIP guard, read and lifted by admins.

Times are the database's clock, so the console and the controller agree on which bans are active.
"""
from __future__ import annotations

from typing import Any

import asyncpg

from db.serialize import clean_text, json_row

_COLUMNS = "id, host(address) AS address, banned_at, until, failures, accounts, lifted_at, lifted_by"


async def add_ban(pool: asyncpg.Pool, address: str, ban_s: float, failures: int, accounts: str) -> dict[str, Any]:
    row = await pool.fetchrow(
        f"""INSERT INTO sip_bans (address, until, failures, accounts)
            VALUES ($1::inet, now() + make_interval(secs => $2), $3, $4) RETURNING {_COLUMNS}""",
        address, ban_s, failures, clean_text(accounts[:500]))
    return json_row(row)


async def active_addresses(pool: asyncpg.Pool) -> list[tuple[str, float]]:
    """(address, seconds left) of every active ban."""
    rows = await pool.fetch(
        """SELECT DISTINCT ON (address) host(address) AS address,
                  extract(epoch FROM until - now())::float8 AS left_s
           FROM sip_bans WHERE lifted_at IS NULL AND until > now() ORDER BY address, until DESC""")
    return [(r["address"], r["left_s"]) for r in rows]


async def list_bans(pool: asyncpg.Pool, limit: int = 100) -> list[dict[str, Any]]:
    """The latest bans, newest first, each with `active`."""
    rows = await pool.fetch(
        f"""SELECT {_COLUMNS}, (lifted_at IS NULL AND until > now()) AS active
            FROM sip_bans ORDER BY id DESC LIMIT $1""", limit)
    return [json_row(r) for r in rows]


async def lift_ban(pool: asyncpg.Pool, ban_id: int, by: str) -> dict[str, Any] | None:
    """Lift an active ban; None when there is no such active ban."""
    row = await pool.fetchrow(
        f"""UPDATE sip_bans SET lifted_at = now(), lifted_by = $2
            WHERE id = $1 AND lifted_at IS NULL AND until > now() RETURNING {_COLUMNS}, false AS active""",
        ban_id, by)
    return json_row(row) if row is not None else None
