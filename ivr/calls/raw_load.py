"""Loading Asterisk's raw facts back from local disk into PostgreSQL (issue 17, item 4).

Asterisk writes every CEL event and queue_log line to PostgreSQL and to a local file as well
(dialplan/cel_custom.conf, logger.conf). While PostgreSQL is away only the files get them. This
part reads what is new in each file since the last load (the byte offset is kept in
raw_file_offsets, migration 023), at start and every `interval` seconds, inserts the rows the
tables lack (their unique keys make loading twice a no-op) and then asks the reconciler to rebuild
the calls that the loaded rows finish. File reads run in a thread and a database error only
postpones the load: calls are never held up by it.
"""
from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg

from db.raw_facts import forget_offsets, load_raw_rows, loaded_offset
from ivr.calls.raw_files import read_rows
from ivr.periodic import Periodic

log = logging.getLogger(__name__)

DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncio.TimeoutError)
CHUNK_BYTES = 2 * 1024 * 1024
SETTLE_S = 5.0          # a line this young may still be on its way to PostgreSQL directly


def raw_files(log_dir: Path) -> dict[str, Path]:
    return {"cel": log_dir / "cel-custom" / "cel.csv", "queue_log": log_dir / "queue_log"}


def _read(path: Path, offset: int, inode: int | None) -> tuple[int, int, bytes] | None:
    """(inode, start offset, bytes) of what follows offset; a new or shorter file is read from 0."""
    try:
        with path.open("rb") as f:
            stat = os.fstat(f.fileno())
            start = offset if inode == stat.st_ino and offset <= stat.st_size else 0
            f.seek(start)
            return stat.st_ino, start, f.read(CHUNK_BYTES)
    except FileNotFoundError:
        return None


class RawFactLoader:
    def __init__(self, pool: asyncpg.Pool, log_dir: Path, *, after_load: Callable[[], Awaitable[object]],
                 interval: float = 15.0):
        self._pool = pool
        self._files = raw_files(log_dir)
        self._after_load = after_load
        self._periodic = Periodic(self.load, interval, "raw-fact-loader", first_at_once=True)
        self.loaded = {name: 0 for name in self._files}     # rows added since start
        self.skipped = 0                                     # lines that were not raw facts

    async def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()

    async def load(self) -> int:
        """Load what is new in every file; then, if rows were added, rebuild the calls they finish."""
        try:
            added = sum([await self._load_file(name) for name in self._files])
        except DB_ERRORS as exc:
            log.info("raw facts not loaded yet: %s", exc or type(exc).__name__)
            return 0
        if added:
            log.warning("loaded %d raw rows from Asterisk's local files that PostgreSQL had missed", added)
            await self._after_load()
        return added

    async def load_from_start(self) -> int:
        """Read the files again from their first line (after a restore, or to check nothing is missing)."""
        await forget_offsets(self._pool)
        return await self.load()

    async def _load_file(self, name: str) -> int:
        added = 0
        while True:
            known = await loaded_offset(self._pool, name)
            inode, offset = known if known else (None, 0)
            read = await asyncio.to_thread(_read, self._files[name], offset, inode)
            if read is None:
                return added
            file_inode, start, data = read
            settled = datetime.now(timezone.utc) - timedelta(seconds=SETTLE_S)
            chunk = read_rows(name, data, start, settled)
            if chunk.end == start and file_inode == inode or chunk.end == 0 and known is None:
                return added
            rows = await load_raw_rows(self._pool, name, chunk.rows, file_inode, chunk.end)
            added += rows
            self.loaded[name] += rows
            self.skipped += chunk.skipped
            if chunk.skipped:
                log.info("%s: skipped %d lines that are not raw facts (torn, or CEL's former time format)",
                         self._files[name], chunk.skipped)
