"""The failed sign-in limit: at most `limit` failures per (ext, client address) in `window_s`."""
from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from db.sign_in_failures import clear_failures, record_failure, recent_failures


@dataclass(frozen=True)
class LoginLimiter:
    """At most `limit` failed sign-ins per (ext, client address) in `window_s`; then 429.
    The failures are in the database (db/sign_in_failures.py): a restart does not reset them."""

    limit: int = 5
    window_s: float = 300.0

    async def blocked(self, pool: asyncpg.Pool, key: tuple[str, str]) -> bool:
        return await recent_failures(pool, *key, self.window_s) >= self.limit

    async def failed(self, pool: asyncpg.Pool, key: tuple[str, str]) -> None:
        await record_failure(pool, *key, self.window_s)

    async def succeeded(self, pool: asyncpg.Pool, key: tuple[str, str]) -> None:
        await clear_failures(pool, *key)

