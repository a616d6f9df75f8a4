"""The failed sign-in limit: per address across accounts, and per account with growing delays.

- An address with `address_limit` failures in `window_s` (a password sprayed over many extensions,
  unknown ones included) waits until the window has passed.
- An account with `limit` or more failures in the window (from any address) must wait
  `first_delay_s`, doubling with each further failure up to `window_s`, after its latest failure —
  but only from addresses that have failed recently themselves. A correct password from an address
  with no recent failure is always checked: a stranger cannot lock the owner out, and a stranger's
  failures from elsewhere still slow every address that guesses.

The failures are in the database (db/sign_in_failures.py): a restart does not reset them.
Admins see and lift the locks (agent_console/api/sign_in_locks.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import asyncpg

from db.sign_in_failures import clear_failures, failure_counts, record_failure


@dataclass(frozen=True)
class LoginLimiter:
    limit: int = 5
    window_s: float = 300.0
    first_delay_s: float = 30.0
    address_limit: int = 50

    def account_delay_s(self, failures: int) -> float:
        """How long after its latest failure an account with `failures` failures waits."""
        if failures < self.limit:
            return 0.0
        return min(self.first_delay_s * 2 ** (failures - self.limit), self.window_s)

    async def blocked(self, pool: asyncpg.Pool, key: tuple[str, str]) -> int:
        """Whole seconds this (ext, address) must wait before its password is checked; 0: go ahead."""
        counts = await failure_counts(pool, *key, self.window_s)
        if counts.from_address >= self.address_limit:
            return math.ceil(self.window_s)
        if counts.from_address == 0 or counts.account_idle_s is None:
            return 0
        wait = self.account_delay_s(counts.of_account) - counts.account_idle_s
        return math.ceil(wait) if wait > 0 else 0

    async def failed(self, pool: asyncpg.Pool, key: tuple[str, str]) -> None:
        await record_failure(pool, *key, self.window_s)

    async def succeeded(self, pool: asyncpg.Pool, key: tuple[str, str]) -> None:
        await clear_failures(pool, *key)
