"""Failed sign-ins, for the console's sign-in limit (agent_console/web/sign_in_limit.py).

Kept in PostgreSQL (migrations 011, 014) so a restart does not reset the limit and several
controllers on one database share it. Times are the database's clock (now()), so every controller
agrees.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from db.serialize import clean_text


@dataclass(frozen=True)
class FailureCounts:
    from_address: int              # failures from this address, any account
    of_account: int                # failures of this account, any address
    account_idle_s: float | None   # seconds since the account's latest failure


async def failure_counts(pool: asyncpg.Pool, ext: str, remote_addr: str, window_s: float) -> FailureCounts:
    row = await pool.fetchrow(
        """SELECT count(*) FILTER (WHERE remote_addr = $2) AS from_address,
                  count(*) FILTER (WHERE ext = $1) AS of_account,
                  extract(epoch FROM now() - max(at) FILTER (WHERE ext = $1))::float8 AS account_idle_s
           FROM sign_in_failures
           WHERE at > now() - make_interval(secs => $3) AND (ext = $1 OR remote_addr = $2)""",
        clean_text(ext), clean_text(remote_addr), float(window_s))
    return FailureCounts(row["from_address"], row["of_account"], row["account_idle_s"])


async def recent_failures(pool: asyncpg.Pool, ext: str, remote_addr: str, window_s: float) -> int:
    """Failures of this (ext, address) within the last `window_s` seconds."""
    return await pool.fetchval(
        """SELECT count(*) FROM sign_in_failures
           WHERE ext = $1 AND remote_addr = $2 AND at > now() - make_interval(secs => $3)""",
        clean_text(ext), clean_text(remote_addr), float(window_s))


async def record_failure(pool: asyncpg.Pool, ext: str, remote_addr: str, window_s: float) -> None:
    """One more failure; failures that left the window (of every key) are deleted first."""
    async with pool.acquire() as con, con.transaction():
        await con.execute("DELETE FROM sign_in_failures WHERE at <= now() - make_interval(secs => $1)",
                          float(window_s))
        await con.execute("INSERT INTO sign_in_failures (ext, remote_addr) VALUES ($1, $2)",
                          clean_text(ext), clean_text(remote_addr))


async def clear_failures(pool: asyncpg.Pool, ext: str, remote_addr: str) -> None:
    """A successful sign-in forgets the key's failures."""
    await pool.execute("DELETE FROM sign_in_failures WHERE ext = $1 AND remote_addr = $2",
                       clean_text(ext), clean_text(remote_addr))


async def failure_groups(pool: asyncpg.Pool, window_s: float, *, min_account: int,
                         min_address: int) -> list[dict[str, Any]]:
    """Accounts with at least `min_account` and addresses with at least `min_address` failures in
    the window: {"kind", "value", "failures", "idle_s"}, most failures first."""
    rows = await pool.fetch(
        """WITH recent AS (SELECT * FROM sign_in_failures WHERE at > now() - make_interval(secs => $1))
           SELECT 'account' AS kind, ext AS value, count(*) AS failures,
                  extract(epoch FROM now() - max(at))::float8 AS idle_s
           FROM recent GROUP BY ext HAVING count(*) >= $2
           UNION ALL
           SELECT 'address', remote_addr, count(*), extract(epoch FROM now() - max(at))::float8
           FROM recent GROUP BY remote_addr HAVING count(*) >= $3
           ORDER BY failures DESC, kind, value""",
        float(window_s), min_account, min_address)
    return [dict(row) for row in rows]


async def forget(pool: asyncpg.Pool, kind: str, value: str) -> int:
    """An admin lifts a lock: every failure of the account or the address; how many were deleted."""
    column = {"account": "ext", "address": "remote_addr"}[kind]
    status = await pool.execute(f"DELETE FROM sign_in_failures WHERE {column} = $1", clean_text(value))
    return int(status.split()[-1])
