"""CallRecordings: what the controller runs for call recordings, started and stopped as one.

- the indexer pass every INDEX_INTERVAL_S (recordings/call_index.py),
- the retention pass at start and every RETENTION_INTERVAL_S (recordings/call_retention.py),
- `files`, handed to the console to find a recording's file (recordings/call_files.py).
A failing pass (database away, unreadable directory) is logged and tried again next interval.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

from recordings.call_files import RecordingFiles
from recordings.call_index import RecordingIndexer
from recordings.call_retention import RecordingRetention

log = logging.getLogger(__name__)

INDEX_INTERVAL_S = 3.0
RETENTION_INTERVAL_S = 3600.0


class CallRecordings:
    def __init__(self, pool: asyncpg.Pool, directory: Path, *, retention_days: int,
                 index_interval_s: float = INDEX_INTERVAL_S,
                 retention_interval_s: float = RETENTION_INTERVAL_S):
        self.files = RecordingFiles(directory)
        self.indexer = RecordingIndexer(pool, directory)
        self.retention = RecordingRetention(pool, directory, retention_days)
        self._intervals = (index_interval_s, retention_interval_s)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        index_s, retention_s = self._intervals
        self._tasks = [
            asyncio.create_task(_every(index_s, self.indexer.index_once, "index"), name="recordings-index"),
            asyncio.create_task(_every(retention_s, self.retention.run_once, "retention"),
                                name="recordings-retention"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []


async def _every(interval_s: float, job: Callable[[], Awaitable[int]], what: str) -> None:
    """Run `job` now and then every interval_s; an error is logged, never ends the loop."""
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception as exc:   # noqa: BLE001 - keep indexing after a database outage
            log.warning("call recordings %s pass failed: %r", what, exc)
        await asyncio.sleep(interval_s)
