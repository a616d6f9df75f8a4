"""RecordingIndexer: puts finished MixMonitor files (<linkedid>.wav) into the recordings table.

A file is finished when its call has ended (calls.ended_at) and the file has not changed for
QUIET_S (MixMonitor closes it just after the hang-up), or, for a call the controller never saw,
when the file has not changed for SETTLE_S. Scanning and reading WAV headers run in a thread;
inserting is idempotent, so several controllers on one directory index each file once.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from db.recordings import NewRecording, call_times, insert_recordings, known_linkedids
from recordings.call_files import RecordingFile, recording_path, scan, wav_duration

log = logging.getLogger(__name__)

QUIET_S = 2.0
SETTLE_S = 120.0



def is_finished(file: RecordingFile, call: Mapping[str, Any] | None, now: float, *,
                quiet_s: float = QUIET_S, settle_s: float = SETTLE_S) -> bool:
    """Whether the file will not grow any more (see the module docstring)."""
    unchanged_for = now - file.mtime
    if call is not None and call["ended_at"] is not None and unchanged_for >= quiet_s:
        return True
    return unchanged_for >= settle_s


def created_at(file: RecordingFile, call: Mapping[str, Any] | None) -> datetime:
    """What retention counts from: the call's start, or the file's mtime when the call is unknown."""
    if call is not None and call["started_at"] is not None:
        return call["started_at"]
    return datetime.fromtimestamp(file.mtime, UTC)


class RecordingIndexer:
    def __init__(self, pool: asyncpg.Pool, directory: Path, *, quiet_s: float = QUIET_S,
                 settle_s: float = SETTLE_S, clock: Callable[[], float] = time.time):
        self._pool = pool
        self.directory = Path(directory)
        self._quiet_s, self._settle_s, self._clock = quiet_s, settle_s, clock
        self._indexed: set[str] = set()     # linkedids known to be in the table: not asked again

    async def index_once(self) -> int:
        """One pass over the directory; returns how many recordings were added."""
        pool = self._pool
        if pool is None:
            return 0
        present = {f.linkedid: f for f in await asyncio.to_thread(scan, self.directory)}
        self._indexed &= present.keys()     # forget files removed since (retention): bounded memory
        files = {linkedid: f for linkedid, f in present.items() if linkedid not in self._indexed}
        if not files:
            return 0
        self._indexed |= await known_linkedids(pool, files)
        pending = [f for linkedid, f in files.items() if linkedid not in self._indexed]
        calls = await call_times(pool, [f.linkedid for f in pending])
        now = self._clock()
        ready = [f for f in pending if is_finished(f, calls.get(f.linkedid), now, quiet_s=self._quiet_s,
                                                   settle_s=self._settle_s)]
        if not ready:
            return 0
        described = await asyncio.to_thread(self._describe, ready, calls)
        added = await insert_recordings(pool, described)
        self._indexed.update(f.linkedid for f in ready)
        if added:
            log.info("indexed %d call recording(s)", added)
        return added

    def _describe(self, files: list[RecordingFile], calls: Mapping[str, Any]) -> list[NewRecording]:
        """Blocking: reads each WAV header."""
        return [NewRecording(linkedid=f.linkedid, file_name=f.file_name, size_bytes=f.size_bytes,
                             duration_s=wav_duration(recording_path(self.directory, f.file_name)),
                             created_at=created_at(f, calls.get(f.linkedid)))
                for f in files]
