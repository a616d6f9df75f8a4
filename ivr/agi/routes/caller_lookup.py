"""AGI(agi://…/caller_lookup): sets IVR_PRIORITY and IVR_REPEAT for the caller about to queue.

A caller who abandoned a queue in the last 24 hours goes ahead of first-time callers: they
already waited once. When the database is slow or away, the route answers with defaults
rather than keeping the caller waiting.
"""
from __future__ import annotations

import asyncio
import logging

import asyncpg

from db.callers import CallerHistory, caller_history
from ivr.agi.server import AgiSession
from ivr.constants import VAR_PRIORITY, VAR_REPEAT_CALLER

log = logging.getLogger(__name__)

PRIORITY_AFTER_ABANDON = 5
LOOKUP_TIMEOUT_S = 0.5


def priority_for(history: CallerHistory | None) -> int:
    if history is not None and history.abandoned > 0:
        return PRIORITY_AFTER_ABANDON
    return 0


class CallerLookup:
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def __call__(self, session: AgiSession) -> None:
        history = await self._history(session.request.caller_number)
        await session.set_variable(VAR_PRIORITY, str(priority_for(history)))
        await session.set_variable(VAR_REPEAT_CALLER, "1" if history and history.calls else "0")

    async def _history(self, number: str) -> CallerHistory | None:
        pool = self._pool
        if pool is None or not number:
            return None
        try:
            return await asyncio.wait_for(caller_history(pool, number), LOOKUP_TIMEOUT_S)
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
            log.warning("caller lookup skipped: %s", exc or type(exc).__name__)
            return None
