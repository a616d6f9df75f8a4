"""Keep-place callback requests and their dial attempts (migration 017; docs/callbacks.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from db.serialize import json_row

Queryable = asyncpg.Pool | asyncpg.Connection

STATES = ("waiting", "dialling", "connected", "retry_wait", "to_worklist", "cancelled")
ACTIVE_STATES = ("waiting", "dialling", "retry_wait")
ATTEMPT_RESULTS = ("answered", "no_answer", "busy", "congestion", "failed", "lost")
MAX_LIST_LIMIT = 500


@dataclass(frozen=True)
class NewRequest:
    number: str
    branch: int
    queue: str
    language: str
    priority: int
    place_at: datetime          # when the caller joined the queue: the place kept
    queue_position: int | None
    original_linkedid: str


async def create_request(pool: asyncpg.Pool, new: NewRequest) -> tuple[asyncpg.Record, bool]:
    """(the active request, merged?). A second request for the same number and branch while one is
    active is kept as a 'cancelled' row merged into the first, which keeps its earlier place."""
    async with pool.acquire() as con, con.transaction():
        row = await con.fetchrow(
            """INSERT INTO callback_requests (number, branch, queue, language, priority, place_at,
                                              queue_position, original_linkedid)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (number, branch) WHERE state IN ('waiting', 'dialling', 'retry_wait')
               DO NOTHING RETURNING *""",
            new.number, new.branch, new.queue, new.language, new.priority, new.place_at,
            new.queue_position, new.original_linkedid)
        if row is not None:
            return row, False
        active = await con.fetchrow(
            "SELECT * FROM callback_requests WHERE number = $1 AND branch = $2"
            " AND state = ANY($3::text[]) FOR UPDATE", new.number, new.branch, list(ACTIVE_STATES))
        await con.execute(
            """INSERT INTO callback_requests (number, branch, queue, language, priority, place_at,
                                              queue_position, original_linkedid, state, merged_into)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'cancelled', $9)""",
            new.number, new.branch, new.queue, new.language, new.priority, new.place_at,
            new.queue_position, new.original_linkedid, active["id"])
        return active, True


async def get_request(con: Queryable, request_id: int) -> asyncpg.Record | None:
    return await con.fetchrow("SELECT * FROM callback_requests WHERE id = $1", request_id)


async def pending_requests(con: Queryable) -> list[asyncpg.Record]:
    """Active requests in their place order (priority first, then who joined the queue first)."""
    return await con.fetch(
        "SELECT * FROM callback_requests WHERE state = ANY($1::text[])"
        " ORDER BY priority DESC, place_at, id", list(ACTIVE_STATES))


async def start_attempt(pool: asyncpg.Pool, request_id: int, agent_ext: str | None,
                        linkedid: str | None) -> int | None:
    """A new dial attempt (the request goes waiting → dialling); None when the request is not
    waiting or an attempt is already open (the unique index: never two at once)."""
    async with pool.acquire() as con, con.transaction():
        moved = await con.fetchval(
            """UPDATE callback_requests SET state = 'dialling', attempts = attempts + 1, agent_ext = $2,
                      updated_at = now()
                WHERE id = $1 AND state = 'waiting' RETURNING id""", request_id, agent_ext)
        if moved is None:
            return None
        try:
            return await con.fetchval(
                "INSERT INTO callback_attempts (request_id, agent_ext, linkedid) VALUES ($1, $2, $3) RETURNING id",
                request_id, agent_ext, linkedid)
        except asyncpg.UniqueViolationError:
            raise AttemptOpen(request_id) from None


class AttemptOpen(RuntimeError):
    """A request already has an open dial attempt."""


async def finish_attempt(pool: asyncpg.Pool, attempt_id: int, result: str, *, max_attempts: int,
                         retry_delay_s: int) -> str | None:
    """Closes the attempt; the request becomes connected (answered), retry_wait, or to_worklist after
    the last attempt. Returns the request's new state (None: the attempt was already closed)."""
    async with pool.acquire() as con, con.transaction():
        row = await con.fetchrow(
            """UPDATE callback_attempts SET ended_at = now(), result = $2
                WHERE id = $1 AND ended_at IS NULL RETURNING request_id, linkedid""", attempt_id, result)
        if row is None:
            return None
        return await con.fetchval(
            """UPDATE callback_requests SET
                      state = CASE WHEN $2 = 'answered' THEN 'connected'
                                   WHEN attempts >= $3 THEN 'to_worklist' ELSE 'retry_wait' END,
                      reached_at = CASE WHEN $2 = 'answered' THEN now() END,
                      callback_linkedid = CASE WHEN $2 = 'answered' THEN $5 ELSE callback_linkedid END,
                      next_attempt_at = CASE WHEN $2 <> 'answered' AND attempts < $3
                                             THEN now() + make_interval(secs => $4) END,
                      updated_at = now()
                WHERE id = $1 RETURNING state""",
            row["request_id"], result, max_attempts, float(retry_delay_s), row["linkedid"])


async def open_attempt(con: Queryable, request_id: int) -> asyncpg.Record | None:
    return await con.fetchrow(
        "SELECT * FROM callback_attempts WHERE request_id = $1 AND ended_at IS NULL", request_id)


async def due_retries(pool: asyncpg.Pool) -> list[int]:
    """Requests whose retry delay has passed: back to waiting (a placeholder re-enters the queue)."""
    rows = await pool.fetch(
        """UPDATE callback_requests SET state = 'waiting', next_attempt_at = NULL, updated_at = now()
            WHERE state = 'retry_wait' AND next_attempt_at <= now() RETURNING id""")
    return [r["id"] for r in rows]


async def list_callbacks(con: Queryable, *, states: list[str] | None = None,
                         limit: int = 100) -> list[dict[str, Any]]:
    rows = await con.fetch(
        """SELECT r.id, r.number, r.branch, r.queue, r.language, r.state, r.requested_at, r.attempts,
                  r.next_attempt_at, r.reached_at, r.agent_ext, r.merged_into, r.original_linkedid,
                  r.callback_linkedid,
                  (SELECT coalesce(array_agg(a.linkedid ORDER BY a.id) FILTER (WHERE a.linkedid IS NOT NULL), '{}')
                     FROM callback_attempts a WHERE a.request_id = r.id) AS attempt_linkedids
             FROM callback_requests r
            WHERE ($1::text[] IS NULL OR r.state = ANY($1::text[]))
            ORDER BY r.requested_at DESC, r.id DESC LIMIT $2""", states, limit)
    return [_api_row(r) for r in rows]


def _api_row(row: asyncpg.Record) -> dict[str, Any]:
    item = json_row(row)
    linked = [row["original_linkedid"], *row["attempt_linkedids"]]
    item["linked_calls"] = list(dict.fromkeys(linked))
    del item["attempt_linkedids"]
    return item


_SUMMARY = """
SELECT count(*) FILTER (WHERE merged_into IS NULL)                                   AS requested,
       count(*) FILTER (WHERE state = 'connected')                                   AS reached,
       count(*) FILTER (WHERE state = 'to_worklist')                                 AS failed,
       count(*) FILTER (WHERE merged_into IS NOT NULL)                               AS merged,
       count(*) FILTER (WHERE state IN ('waiting', 'dialling', 'retry_wait'))        AS pending,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM reached_at - requested_at))
           FILTER (WHERE state = 'connected')                                        AS reached_median_s,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM reached_at - requested_at))
           FILTER (WHERE state = 'connected')                                        AS reached_p90_s
  FROM callback_requests
 WHERE requested_at >= $1 AND requested_at < $2
"""


async def callback_summary(con: Queryable, start: datetime, end: datetime) -> dict[str, Any]:
    """Callbacks requested in [start, end): requested (merged ones not counted twice), reached,
    failed (to the worklist after the last attempt), merged, still pending, and the time from the
    request to reaching the citizen (median, 90th percentile, seconds). docs/metrics.md#callbacks."""
    row = json_row(await con.fetchrow(_SUMMARY, start, end))
    for key in ("reached_median_s", "reached_p90_s"):
        row[key] = round(row[key], 1) if row[key] is not None else None
    return row
