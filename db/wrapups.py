"""Wrap-ups and tickets. A wrap-up creates the call's ticket, or updates it when the wrap-up is
submitted again; every change of a ticket adds a ticket_events row (its history)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

import asyncpg

from db.serialize import clean_text, json_row

Queryable = Union[asyncpg.Pool, asyncpg.Connection]

WRAPUP_OUTCOMES = ("answered", "resolved", "forwarded", "needs_verification")
TICKET_STATUSES = ("open", "forwarded", "verified", "closed")
# What a wrap-up's outcome makes of the call's ticket.
TICKET_STATUS_OF_OUTCOME = {"answered": "closed", "resolved": "closed", "forwarded": "forwarded",
                            "needs_verification": "open"}


@dataclass(frozen=True)
class Wrapup:
    linkedid: str
    ext: str                 # the agent who took the call
    category: str
    outcome: str
    agency: str | None
    notes: str
    submitted_by: str
    agency_id: int | None = None   # the agency directory's entry (migration 020)


_UPSERT_WRAPUP = """
INSERT INTO wrapups (linkedid, ext, category, outcome, agency, notes, submitted_by, submitted_at, agency_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8)
ON CONFLICT (linkedid) DO UPDATE SET category = EXCLUDED.category, outcome = EXCLUDED.outcome,
    agency = EXCLUDED.agency, notes = EXCLUDED.notes, submitted_by = EXCLUDED.submitted_by,
    submitted_at = now(), agency_id = EXCLUDED.agency_id
RETURNING linkedid, ext, category, outcome, agency, agency_id, notes, submitted_by, submitted_at"""

_UPSERT_TICKET = """
INSERT INTO tickets (linkedid, caller_number, branch, category, status, agency, summary, created_by, agency_id)
SELECT $1, COALESCE(c.caller_number, ''), c.branch, $2, $3, $4, $5, $6, $7
FROM (SELECT 1) one LEFT JOIN calls c ON c.linkedid = $1
ON CONFLICT (linkedid) DO UPDATE SET category = EXCLUDED.category, status = EXCLUDED.status,
    agency = EXCLUDED.agency, summary = EXCLUDED.summary, updated_at = now(), agency_id = EXCLUDED.agency_id
RETURNING id"""

_TICKET_COLUMNS = """id, linkedid, caller_number, branch, category, status, agency, summary, created_by,
    created_at, updated_at, channel, tracking_code, claimed_by"""
TICKET_CHANNELS = ("phone", "web", "sms")


async def save_wrapup(pool: asyncpg.Pool, wrapup: Wrapup) -> dict[str, Any]:
    """Store the wrap-up, create or update the call's ticket and add its history row; all or nothing."""
    status = TICKET_STATUS_OF_OUTCOME[wrapup.outcome]
    notes, agency = clean_text(wrapup.notes), None if wrapup.agency is None else clean_text(wrapup.agency)
    category = clean_text(wrapup.category)
    async with pool.acquire() as con, con.transaction():
        stored = await con.fetchrow(_UPSERT_WRAPUP, wrapup.linkedid, wrapup.ext, category, wrapup.outcome,
                                    agency, notes, wrapup.submitted_by, wrapup.agency_id)
        ticket_id = await con.fetchval(_UPSERT_TICKET, wrapup.linkedid, category, status, agency, notes,
                                       wrapup.submitted_by, wrapup.agency_id)
        await con.execute("INSERT INTO ticket_events (ticket_id, by, status, note) VALUES ($1, $2, $3, $4)",
                          ticket_id, wrapup.submitted_by, status, f"wrap-up: {wrapup.outcome}")
        ticket = await con.fetchrow(f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE id = $1", ticket_id)
    return {"wrapup": json_row(stored), "ticket": json_row(ticket)}


async def list_tickets(pool: Queryable, *, limit: int = 100, status: str | None = None,
                       created_by: str | None = None, linkedid: str | None = None,
                       channel: str | None = None) -> list[dict[str, Any]]:
    """Most recently updated first; `created_by` also matches the agent who claimed a written ticket."""
    rows = await pool.fetch(
        f"""SELECT {_TICKET_COLUMNS} FROM tickets
            WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR created_by = $2 OR claimed_by = $2)
              AND ($3::text IS NULL OR linkedid = $3) AND ($5::text IS NULL OR channel = $5)
            ORDER BY updated_at DESC, id DESC LIMIT $4""", status, created_by, linkedid, limit, channel)
    return [json_row(row) for row in rows]


async def ticket_history(pool: Queryable, ticket_id: int) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT at, by, status, note FROM ticket_events WHERE ticket_id = $1 ORDER BY at, id",
                            ticket_id)
    return [json_row(row) for row in rows]
