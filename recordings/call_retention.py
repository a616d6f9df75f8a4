"""RecordingRetention: deletes call recordings older than IVR_RECORDING_RETENTION_DAYS.

Age counts from recordings.created_at (the call's start, or the file's mtime for an unknown
call). Each deletion is one transaction that holds the row (FOR UPDATE SKIP LOCKED, so two
controllers never delete the same recording twice): remove the file, mark the row deleted
('retention'), append a `delete` row by 'system' to the access log. A file already gone counts
as removed, so a pass interrupted between the unlink and the commit is finished by the next one.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from db.recordings import expired_recordings, lock_live_recording, mark_deleted
from recordings.call_files import recording_path, remove

log = logging.getLogger(__name__)



def retention_cutoff(now: datetime, days: int) -> datetime:
    """Recordings created strictly before this instant are expired."""
    if days < 1:
        raise ValueError(f"retention must be at least one day, got {days}")
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now - timedelta(days=days)


def is_expired(created: datetime, now: datetime, days: int) -> bool:
    return created < retention_cutoff(now, days)


class RecordingRetention:
    def __init__(self, pool: asyncpg.Pool, directory: Path, days: int):
        retention_cutoff(datetime.now(UTC), days)   # validates days
        self._pool = pool
        self.directory = Path(directory)
        self.days = days

    async def run_once(self, now: datetime | None = None) -> int:
        """Delete every expired recording; returns how many this pass deleted."""
        pool = self._pool
        if pool is None:
            return 0
        cutoff = retention_cutoff(now or datetime.now(UTC), self.days)
        deleted = 0
        while batch := await expired_recordings(pool, cutoff):
            done = [await self._delete(pool, row["id"]) for row in batch]
            deleted += sum(done)
            if not any(done):   # all held by another controller: it finishes them
                break
        if deleted:
            log.info("retention (%d days) deleted %d call recording(s)", self.days, deleted)
        return deleted

    async def _delete(self, pool: asyncpg.Pool, recording_id: int) -> bool:
        async with pool.acquire() as con, con.transaction():
            recording = await lock_live_recording(con, recording_id)
            if recording is None:
                return False
            path = recording_path(self.directory, recording["file_name"])
            await asyncio.to_thread(remove, path)
            await mark_deleted(con, recording, "retention")
        return True
