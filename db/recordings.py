"""Call recordings and their access log (migration 008).

The indexer inserts idempotently (a file indexed twice, or by two controllers, is one row);
every play, download and retention delete is one append-only row in recording_access.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from db.serialize import json_row

Queryable = asyncpg.Pool | asyncpg.Connection

ACTIONS = ("play", "download", "delete")
SYSTEM_EXT = "system"
MAX_AUDIT_LIMIT = 500

_RECORDING_COLUMNS = """r.id, r.linkedid, r.file_name, r.size_bytes, r.duration_s, r.created_at,
    r.indexed_at, r.deleted_at, r.deleted_reason, c.agent"""


@dataclass(frozen=True)
class NewRecording:
    linkedid: str
    file_name: str
    size_bytes: int
    duration_s: float | None
    created_at: datetime


async def known_linkedids(pool: Queryable, linkedids: Iterable[str]) -> set[str]:
    rows = await pool.fetch("SELECT linkedid FROM recordings WHERE linkedid = ANY($1::text[])", list(linkedids))
    return {r["linkedid"] for r in rows}


async def call_times(pool: Queryable, linkedids: Iterable[str]) -> dict[str, asyncpg.Record]:
    """started_at and ended_at of the calls that exist, by linkedid."""
    rows = await pool.fetch("SELECT linkedid, started_at, ended_at FROM calls WHERE linkedid = ANY($1::text[])",
                            list(linkedids))
    return {r["linkedid"]: r for r in rows}


async def insert_recordings(pool: asyncpg.Pool, recordings: Iterable[NewRecording]) -> int:
    """Insert the ones not indexed yet; returns how many rows were new."""
    new = 0
    async with pool.acquire() as con, con.transaction():
        for rec in recordings:
            status = await con.execute(
                """INSERT INTO recordings (linkedid, file_name, size_bytes, duration_s, created_at)
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (linkedid) DO NOTHING""",
                rec.linkedid, rec.file_name, rec.size_bytes,
                None if rec.duration_s is None else Decimal(f"{rec.duration_s:.3f}"), rec.created_at)
            new += status.endswith(" 1")
    return new


async def get_recording(pool: Queryable, recording_id: int) -> dict[str, Any] | None:
    """The recording with the agent of its call (None when the call is unknown)."""
    row = await pool.fetchrow(f"SELECT {_RECORDING_COLUMNS} FROM recordings r"
                              " LEFT JOIN calls c ON c.linkedid = r.linkedid WHERE r.id = $1", recording_id)
    return dict(row) if row is not None else None


async def get_recording_of_call(pool: Queryable, linkedid: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(f"SELECT {_RECORDING_COLUMNS} FROM recordings r"
                              " LEFT JOIN calls c ON c.linkedid = r.linkedid WHERE r.linkedid = $1", linkedid)
    return dict(row) if row is not None else None


async def record_access(pool: Queryable, recording: dict[str, Any], *, ext: str, role: str, action: str,
                        remote_addr: str | None) -> int:
    if action not in ACTIONS:
        raise ValueError(f"action {action!r} not in {ACTIONS}")
    return await pool.fetchval(
        """INSERT INTO recording_access (recording_id, linkedid, ext, role, action, remote_addr)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
        recording["id"], recording["linkedid"], ext, role, action, remote_addr)


async def list_accesses(pool: Queryable, *, limit: int, before_id: int | None) -> list[dict[str, Any]]:
    """The access log, newest first; page on with before_id = the last id of the previous page."""
    rows = await pool.fetch(
        """SELECT id, recording_id, linkedid, ext, role, action, at, remote_addr FROM recording_access
           WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2""",
        before_id, min(limit, MAX_AUDIT_LIMIT))
    return [json_row(r) for r in rows]


async def expired_recordings(pool: Queryable, cutoff: datetime, limit: int = 200) -> list[asyncpg.Record]:
    """Live recordings created before `cutoff`, oldest first."""
    return await pool.fetch(
        """SELECT id, linkedid, file_name FROM recordings WHERE deleted_at IS NULL AND created_at < $1
           ORDER BY created_at LIMIT $2""", cutoff, limit)


async def lock_live_recording(con: asyncpg.Connection, recording_id: int) -> asyncpg.Record | None:
    """Inside a transaction: the recording if still live and not being deleted by another process."""
    return await con.fetchrow(
        "SELECT id, linkedid, file_name FROM recordings WHERE id = $1 AND deleted_at IS NULL"
        " FOR UPDATE SKIP LOCKED", recording_id)


async def mark_deleted(con: asyncpg.Connection, recording: asyncpg.Record, reason: str) -> None:
    """Inside the same transaction: the row says deleted, and the access log says by whom."""
    await con.execute("UPDATE recordings SET deleted_at = now(), deleted_reason = $2 WHERE id = $1",
                      recording["id"], reason)
    await con.execute(
        """INSERT INTO recording_access (recording_id, linkedid, ext, role, action)
           VALUES ($1, $2, $3, 'system', 'delete')""", recording["id"], recording["linkedid"], SYSTEM_EXT)


def recording_json(recording: dict[str, Any]) -> dict[str, Any]:
    """What the API shows of a recording: no file system path."""
    shown = {k: recording[k] for k in ("id", "linkedid", "size_bytes", "duration_s", "created_at",
                                       "deleted_at", "deleted_reason", "agent")}
    shown["url"] = None if recording["deleted_at"] else f"/api/v1/recordings/{recording['id']}"
    return json_row(shown)
