"""Failed sign-ins per (extension, client address), for the console's sign-in limit.

Kept in PostgreSQL (migration 011) so a restart does not reset the limit and several controllers
on one database share it. Times are the database's clock (now()), so every controller agrees.
"""
from __future__ import annotations

import asyncpg

from db.serialize import clean_text


async def recent_failures(pool: asyncpg.Pool, ext: str, remote_addr: str, window_s: float) -> int:
    """Failures of this key within the last `window_s` seconds."""
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
