"""The abandoned-call worklist (migration 018): open items, the calls placed from it, outcomes.

Items are opened and closed by the `followups_from_call` trigger as call records are written (an
abandon in a queue opens one; the same number's next answered call closes it). Callback requests
of the keep-place callback (table callback_requests, issue 13's other half) join the worklist here:
`sync_callbacks` imports those in state to_worklist and closes items whose number a callback
reached. That table may not exist yet on a database (to_regclass guards every use of it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from db.serialize import json_row

Queryable = asyncpg.Pool | asyncpg.Connection

OUTCOMES = ("reached", "no_answer", "wrong_number")
# An outcome that closes the item; no_answer leaves it on the worklist for another try.
CLOSING = {"reached": "reached", "wrong_number": "wrong_number"}
MAX_LIST = 500

_ITEM = """
SELECT f.id, f.number, f.branch, f.language, f.abandoned_at, f.last_abandoned_at, f.wait_s, f.abandons,
       f.linkedid, f.callback_request_id, f.attempts, f.state, f.closed_reason, f.closed_at, f.closed_by,
       a.agent_ext AS last_agent, a.started_at AS last_call_at, a.outcome AS last_outcome
  FROM followups f
  LEFT JOIN LATERAL (SELECT agent_ext, started_at, outcome FROM followup_attempts
                      WHERE followup_id = f.id ORDER BY id DESC LIMIT 1) a ON true
"""

_IMPORT_CALLBACKS = """
WITH moved AS (
    SELECT r.id, r.number, r.branch, r.language, r.requested_at, r.attempts, r.original_linkedid
      FROM callback_requests r
     WHERE r.state = 'to_worklist' AND r.number <> ''
       AND NOT EXISTS (SELECT 1 FROM followups f WHERE f.callback_request_id = r.id)
), linked AS (
    UPDATE followups f SET callback_request_id = m.id, attempts = f.attempts + m.attempts
      FROM moved m
     WHERE f.number = m.number AND f.state = 'open' AND f.callback_request_id IS NULL
    RETURNING m.id
)
INSERT INTO followups (number, branch, language, abandoned_at, last_abandoned_at, linkedid,
                       callback_request_id, attempts)
SELECT m.number, m.branch::smallint, m.language, m.requested_at, m.requested_at, m.original_linkedid, m.id,
       m.attempts
  FROM moved m
 WHERE m.id NOT IN (SELECT id FROM linked)
   AND NOT EXISTS (SELECT 1 FROM followups f WHERE f.number = m.number AND f.state = 'open')
ON CONFLICT DO NOTHING
"""

_CLOSE_REACHED_BY_CALLBACK = """
UPDATE followups f SET state = 'closed', closed_reason = 'callback_reached', closed_at = now(),
       closed_by = 'callback ' || r.id
  FROM callback_requests r
 WHERE f.state = 'open' AND r.number = f.number AND r.state = 'connected' AND r.requested_at >= f.abandoned_at
"""


class FollowupUnknown(LookupError):
    pass


class FollowupClosed(Exception):
    pass


class FollowupBusy(Exception):
    """Someone is calling this citizen from the worklist right now."""


class NoPendingCall(Exception):
    """An outcome for an item nobody has called (or whose call already has one)."""


@dataclass(frozen=True)
class Attempt:
    id: int
    followup_id: int
    number: str
    agent_ext: str


async def sync_callbacks(con: Queryable) -> None:
    """Bring callback requests into the worklist (to_worklist) and close what a callback reached."""
    if await con.fetchval("SELECT to_regclass('callback_requests') IS NOT NULL"):
        await con.execute(_IMPORT_CALLBACKS)
        await con.execute(_CLOSE_REACHED_BY_CALLBACK)


async def list_followups(pool: asyncpg.Pool, *, state: str = "open", branches: list[int] | None = None,
                         limit: int = 200) -> list[dict[str, Any]]:
    """Open items oldest first (or closed ones newest first), with the latest call placed from each;
    `branches`: only these (None: every branch, and items without one)."""
    await sync_callbacks(pool)
    order = "f.abandoned_at, f.id" if state == "open" else "f.closed_at DESC, f.id DESC"
    rows = await pool.fetch(
        _ITEM + f" WHERE f.state = $1 AND ($2::smallint[] IS NULL OR f.branch = ANY($2)) ORDER BY {order} LIMIT $3",
        state, branches, min(limit, MAX_LIST))
    return [json_row(r) for r in rows]


async def get_followup(con: Queryable, followup_id: int) -> dict[str, Any] | None:
    row = await con.fetchrow(_ITEM + " WHERE f.id = $1", followup_id)
    return json_row(row) if row is not None else None


async def worklist_size(pool: asyncpg.Pool) -> dict[str, Any]:
    """{"open": n, "oldest_at": ISO time of the oldest open item or None} for the wallboard."""
    await sync_callbacks(pool)
    row = await pool.fetchrow("SELECT count(*) AS open, min(abandoned_at) AS oldest_at FROM followups"
                              " WHERE state = 'open'")
    return json_row(row)


async def start_attempt(con: asyncpg.Connection, followup_id: int, agent_ext: str, *,
                        busy_for_s: int = 600) -> Attempt:
    """Row-locks the item and adds a call attempt. FollowupUnknown, FollowupClosed, or FollowupBusy when
    another call from the worklist (without an outcome, younger than busy_for_s) is being made."""
    item = await con.fetchrow("SELECT id, number, state FROM followups WHERE id = $1 FOR UPDATE", followup_id)
    if item is None:
        raise FollowupUnknown(f"no follow-up {followup_id}")
    if item["state"] != "open":
        raise FollowupClosed(f"follow-up {followup_id} is closed")
    busy = await con.fetchval(
        "SELECT agent_ext FROM followup_attempts WHERE followup_id = $1 AND outcome IS NULL"
        " AND started_at > now() - make_interval(secs => $2) ORDER BY id DESC LIMIT 1", followup_id, busy_for_s)
    if busy is not None and busy != agent_ext:
        raise FollowupBusy(f"agent {busy} is calling this citizen now")
    attempt_id = await con.fetchval(
        "INSERT INTO followup_attempts (followup_id, agent_ext) VALUES ($1, $2) RETURNING id", followup_id, agent_ext)
    await con.execute("UPDATE followups SET attempts = attempts + 1 WHERE id = $1", followup_id)
    return Attempt(attempt_id, followup_id, item["number"], agent_ext)


async def record_outcome(con: asyncpg.Connection, followup_id: int, outcome: str, by_ext: str, *,
                         any_agent: bool) -> dict[str, Any]:
    """Stores the outcome of the latest call without one (by_ext's own unless any_agent); reached and
    wrong_number close the item. Returns the item. FollowupUnknown, NoPendingCall."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    if await con.fetchval("SELECT 1 FROM followups WHERE id = $1 FOR UPDATE", followup_id) is None:
        raise FollowupUnknown(f"no follow-up {followup_id}")
    attempt = await con.fetchval(
        "SELECT id FROM followup_attempts WHERE followup_id = $1 AND outcome IS NULL AND ($2 OR agent_ext = $3)"
        " ORDER BY id DESC LIMIT 1", followup_id, any_agent, by_ext)
    if attempt is None:
        raise NoPendingCall(f"follow-up {followup_id} has no call of yours without an outcome: call first")
    await con.execute("UPDATE followup_attempts SET outcome = $2, outcome_at = now() WHERE id = $1", attempt, outcome)
    if outcome in CLOSING:
        await con.execute(
            "UPDATE followups SET state = 'closed', closed_reason = $2, closed_at = now(), closed_by = $3"
            " WHERE id = $1 AND state = 'open'", followup_id, CLOSING[outcome], by_ext)
    item = await get_followup(con, followup_id)
    assert item is not None
    return item


async def followup_report(pool: Queryable, start: datetime, end: datetime) -> dict[str, int]:
    """Worklist items created (first abandon in [start, end)) and reached (an attempt's outcome
    'reached' in [start, end)); docs/metrics.md."""
    row = await pool.fetchrow(
        """SELECT (SELECT count(*) FROM followups WHERE abandoned_at >= $1 AND abandoned_at < $2) AS created,
                  (SELECT count(*) FROM followup_attempts WHERE outcome = 'reached'
                      AND outcome_at >= $1 AND outcome_at < $2) AS reached,
                  (SELECT count(*) FROM followups WHERE closed_reason IN ('answered_again', 'callback_reached')
                      AND closed_at >= $1 AND closed_at < $2) AS closed_by_themselves""",
        start, end)
    return dict(row)


# The branch of each queue (db/demo.py's queue names): an agent sees the items of the queues he serves.
QUEUE_BRANCHES = {"emergency": 1, "cdc": 2, "doctors": 3, "violations": 4}


async def agent_followup_branches(pool: Queryable, ext: str) -> list[int]:
    rows = await pool.fetch("SELECT queue FROM agent_branches WHERE ext = $1", ext)
    return sorted({QUEUE_BRANCHES[r["queue"]] for r in rows if r["queue"] in QUEUE_BRANCHES})
