"""Batched, buffered writer of call records: the only path from the event side to PostgreSQL.

`submit` only stores the latest snapshot per Linkedid (it runs inside the AMI reader); a
task flushes batches. While PostgreSQL is unreachable the snapshots stay in memory and are
written once it is back; upserts are idempotent, so a batch written twice is harmless.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import asyncpg

from db.calls import upsert_calls, validate_call
from db.records import CallRecord

log = logging.getLogger(__name__)

PoolProvider = Callable[[], asyncpg.Pool | None]
Committed = Callable[[list[CallRecord], float], None]


class RecordWriter:
    def __init__(self, pool: PoolProvider, *, interval: float = 0.05, max_batch: int = 500,
                 retry_delay: float = 0.5, on_committed: Committed | None = None,
                 upsert: Callable[[asyncpg.Connection, list[CallRecord]], Awaitable[None]] = upsert_calls):
        self._pool = pool
        self._interval = interval
        self._max_batch = max_batch
        self._retry_delay = retry_delay
        self._on_committed = on_committed
        self._upsert = upsert
        self._pending: dict[str, CallRecord] = {}
        self._submitted_at: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.written = 0
        self.failures = 0
        self.rejected = 0
        self.last_error: str | None = None

    @property
    def buffered(self) -> int:
        return len(self._pending)

    @property
    def healthy(self) -> bool:
        return self.last_error is None

    def submit(self, record: CallRecord) -> None:
        try:
            validate_call(record)
        except ValueError as exc:  # one impossible record must not stop the others being written
            self.rejected += 1
            log.error("call record %r rejected: %s", record.linkedid, exc)
            return
        self._pending[record.linkedid] = record
        self._submitted_at.setdefault(record.linkedid, time.monotonic())
        self._idle.clear()
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="record-writer")

    async def stop(self, drain_timeout: float = 5.0) -> None:
        try:
            await self.drained(drain_timeout)
        except asyncio.TimeoutError:
            log.error("stopping with %d call records not yet written", self.buffered)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def drained(self, timeout: float) -> None:
        """Wait until every submitted record is committed."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(self._interval)  # let a burst of events coalesce
            while self._pending:
                if not await self._flush_one_batch():
                    await asyncio.sleep(self._retry_delay)
            self._idle.set()

    async def _flush_one_batch(self) -> bool:
        batch_ids = list(self._pending)[: self._max_batch]
        batch = [self._pending[i] for i in batch_ids]
        pool = self._pool()
        try:
            if pool is None:
                raise ConnectionError("no database pool")
            async with pool.acquire(timeout=2) as con, con.transaction():
                await self._upsert(con, batch)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncio.TimeoutError) as exc:
            self.failures += 1
            if self.last_error is None:
                log.warning("database unreachable, buffering %d call records: %s", self.buffered, exc)
            self.last_error = str(exc) or type(exc).__name__
            return False
        self._forget(batch)
        return True

    def _forget(self, batch: list[CallRecord]) -> None:
        now = time.monotonic()
        latencies = []
        for record in batch:
            # A newer snapshot may have arrived while we were writing: keep that one.
            if self._pending.get(record.linkedid) is record:
                del self._pending[record.linkedid]
                latencies.append(now - self._submitted_at.pop(record.linkedid, now))
        self.written += len(batch)
        if self.last_error is not None:
            log.info("database back: wrote %d buffered call records", len(batch))
        self.last_error = None
        if self._on_committed is not None and latencies:
            self._on_committed(batch, max(latencies))
