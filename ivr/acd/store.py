"""Writes agents' state changes to agent_states: `submit` only appends (it runs in the AMI
reader), a task writes batches in order. While PostgreSQL is away the changes wait in memory
and are written, in order, once it is back."""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

import asyncpg

from db.agent_states import StateChange, write_state_changes

log = logging.getLogger(__name__)

PoolProvider = Callable[[], asyncpg.Pool | None]
DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncio.TimeoutError)


class StateWriter:
    def __init__(self, pool: PoolProvider, *, max_batch: int = 200, retry_delay: float = 0.5):
        self._pool = pool
        self._max_batch = max_batch
        self._retry_delay = retry_delay
        self._pending: deque[StateChange] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.last_error: str | None = None

    def submit(self, change: StateChange) -> None:
        self._pending.append(change)
        self._idle.clear()
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="agent-state-writer")

    async def stop(self, drain_timeout: float = 5.0) -> None:
        try:
            await self.drained(drain_timeout)
        except asyncio.TimeoutError:
            log.error("stopping with %d agent state changes not yet written", len(self._pending))
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def drained(self, timeout: float) -> None:
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                if not await self._write_batch():
                    await asyncio.sleep(self._retry_delay)
            self._idle.set()

    async def _write_batch(self) -> bool:
        batch = [self._pending[i] for i in range(min(self._max_batch, len(self._pending)))]
        pool = self._pool()
        try:
            if pool is None:
                raise ConnectionError("no database pool")
            async with pool.acquire(timeout=2) as con:
                await write_state_changes(con, batch)
        except DATABASE_ERRORS as exc:
            if self.last_error is None:
                log.warning("database unreachable, keeping %d agent state changes: %s", len(self._pending), exc)
            self.last_error = str(exc) or type(exc).__name__
            return False
        for _ in batch:
            self._pending.popleft()
        self.last_error = None
        return True
