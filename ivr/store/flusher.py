"""The loop shared by the controller's database writers.

`submit` runs inside the AMI reader, so it only stores and wakes a task; the task writes
batches and, while PostgreSQL is unreachable, keeps everything in memory and retries. A
subclass says how to take a batch and how to write it; what stays pending is its business
(coalesced by key, or in order).
"""
from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Generic, TypeVar

import asyncpg

log = logging.getLogger(__name__)

T = TypeVar("T")
DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncio.TimeoutError)


class BufferedWriter(ABC, Generic[T]):
    what = "items"          # for log lines: "call records", "agent state changes"
    coalesce_s = 0.0        # wait this long after a wake-up so a burst lands in one batch

    def __init__(self, pool: asyncpg.Pool, *, max_batch: int, retry_delay: float):
        self._pool = pool
        self._max_batch = max_batch
        self._retry_delay = retry_delay
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.failures = 0
        self.last_error: str | None = None

    # -- what a subclass provides -------------------------------------------------------------
    @property
    @abstractmethod
    def buffered(self) -> int:
        """How many items wait to be written."""

    @abstractmethod
    def _take(self, limit: int) -> list[T]:
        """The next batch, still pending until `_written` is called with it."""

    @abstractmethod
    async def _write(self, con: asyncpg.Connection, batch: list[T]) -> None:
        """Write one batch inside the transaction the loop opened."""

    @abstractmethod
    def _written(self, batch: list[T]) -> None:
        """The batch is committed: forget it."""

    # -- the shared loop ------------------------------------------------------------------------
    @property
    def healthy(self) -> bool:
        return self.last_error is None

    def _woken(self) -> None:
        self._idle.clear()
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"writer: {self.what}")

    async def stop(self, drain_timeout: float = 5.0) -> None:
        try:
            await self.drained(drain_timeout)
        except asyncio.TimeoutError:
            log.error("stopping with %d %s not yet written", self.buffered, self.what)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def drained(self, timeout: float) -> None:
        """Wait until everything submitted is committed."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self.coalesce_s:
                await asyncio.sleep(self.coalesce_s)
            while self.buffered:
                if not await self._flush_one_batch():
                    await asyncio.sleep(self._retry_delay)
            self._idle.set()

    async def _flush_one_batch(self) -> bool:
        batch = self._take(self._max_batch)
        pool = self._pool
        try:
            if pool is None:
                raise ConnectionError("no database pool")
            async with pool.acquire(timeout=2) as con, con.transaction():
                await self._write(con, batch)
        except DATABASE_ERRORS as exc:
            self.failures += 1
            if self.last_error is None:
                log.warning("database unreachable, keeping %d %s: %s", self.buffered, self.what, exc)
            self.last_error = str(exc) or type(exc).__name__
            return False
        if self.last_error is not None:
            log.info("database back: wrote %d buffered %s", len(batch), self.what)
        self.last_error = None
        self._written(batch)
        return True
