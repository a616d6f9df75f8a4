"""Batched, buffered writer of call records: the only path from the event side to PostgreSQL
for calls (the shared loop is ivr/store/flusher.py).

`submit` keeps only the latest snapshot per Linkedid, so a burst of events for one call
becomes one upsert; upserts are idempotent, so a batch written twice is harmless.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import asyncpg

from db.calls import upsert_calls, validate_call
from db.records import CallRecord
from ivr.store.flusher import BufferedWriter

log = logging.getLogger(__name__)

Committed = Callable[[list[CallRecord], float], None]


class RecordWriter(BufferedWriter[CallRecord]):
    what = "call records"

    def __init__(self, pool: asyncpg.Pool, *, interval: float = 0.05, max_batch: int = 500,
                 retry_delay: float = 0.5, on_committed: Committed | None = None,
                 upsert: Callable[[asyncpg.Connection, list[CallRecord]], Awaitable[None]] = upsert_calls):
        super().__init__(pool, max_batch=max_batch, retry_delay=retry_delay)
        self.coalesce_s = interval
        self._on_committed = on_committed
        self._upsert = upsert
        self._pending: dict[str, CallRecord] = {}
        self._submitted_at: dict[str, float] = {}
        self.written = 0
        self.rejected = 0

    @property
    def buffered(self) -> int:
        return len(self._pending)

    def submit(self, record: CallRecord) -> None:
        try:
            validate_call(record)
        except ValueError as exc:  # one impossible record must not stop the others being written
            self.rejected += 1
            log.error("call record %r rejected: %s", record.linkedid, exc)
            return
        self._pending[record.linkedid] = record
        self._submitted_at.setdefault(record.linkedid, time.monotonic())
        self._woken()

    def _take(self, limit: int) -> list[CallRecord]:
        return list(self._pending.values())[:limit]

    async def _write(self, con: asyncpg.Connection, batch: list[CallRecord]) -> None:
        await self._upsert(con, batch)

    def _written(self, batch: list[CallRecord]) -> None:
        now = time.monotonic()
        latencies = []
        for record in batch:
            # A newer snapshot may have arrived while we were writing: keep that one.
            if self._pending.get(record.linkedid) is record:
                del self._pending[record.linkedid]
                latencies.append(now - self._submitted_at.pop(record.linkedid, now))
        self.written += len(batch)
        if self._on_committed is not None and latencies:
            self._on_committed(batch, max(latencies))
