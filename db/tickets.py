"""Tickets (phản ánh) beyond the wrap-up: one ticket with its history, a ticket without a call,
a status change, and a search. A ticket comes from a call (channel phone) or is written (web, sms:
db/written_requests.py); `created_by` is its author, `claimed_by` the agent working a written one. The status moves open → forwarded → verified → closed; each
change adds a ticket_events row (who, when, note)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from db.serialize import clean_text, json_row

Queryable = asyncpg.Pool | asyncpg.Connection

# Where a ticket may go from each status (closed may be reopened).
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    "open": ("forwarded", "closed"),
    "forwarded": ("verified", "open", "closed"),
    "verified": ("closed",),
    "closed": ("open",),
}
_COLUMNS = """id, linkedid, caller_number, branch, category, status, agency, summary, created_by,
    created_at, updated_at, channel, tracking_code, citizen_name, citizen_area, claimed_by, claimed_at"""


class StatusRefused(Exception):
    """The status cannot follow the ticket's current one."""


@dataclass(frozen=True)
class NewTicket:
    caller_number: str
    branch: int | None
    category: str
    summary: str
    agency: str | None
    created_by: str


async def get_ticket(pool: Queryable, ticket_id: int) -> dict[str, Any] | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM tickets WHERE id = $1", ticket_id)
    if row is None:
        return None
    ticket = json_row(row)
    events = await pool.fetch(
        "SELECT at, by, status, note, public FROM ticket_events WHERE ticket_id = $1 ORDER BY at, id", ticket_id)
    ticket["history"] = [json_row(e) for e in events]
    return ticket


async def create_ticket(pool: asyncpg.Pool, new: NewTicket) -> dict[str, Any]:
    """A ticket without a call (e.g. from the web portal or SMS), status open."""
    async with pool.acquire() as con, con.transaction():
        ticket_id = await con.fetchval(
            """INSERT INTO tickets (caller_number, branch, category, status, agency, summary, created_by)
               VALUES ($1, $2, $3, 'open', $4, $5, $6) RETURNING id""",
            clean_text(new.caller_number), new.branch, clean_text(new.category),
            None if new.agency is None else clean_text(new.agency), clean_text(new.summary), new.created_by)
        await con.execute("INSERT INTO ticket_events (ticket_id, by, status, note) VALUES ($1, $2, 'open', $3)",
                          ticket_id, new.created_by, "")
        ticket = await get_ticket(con, ticket_id)
    assert ticket is not None
    return ticket


async def change_status(pool: asyncpg.Pool, ticket_id: int, status: str, by: str, note: str,
                        agency: str | None) -> dict[str, Any] | None:
    """Move the ticket (row-locked) to `status`; None when it does not exist; StatusRefused."""
    async with pool.acquire() as con, con.transaction():
        current = await con.fetchval("SELECT status FROM tickets WHERE id = $1 FOR UPDATE", ticket_id)
        if current is None:
            return None
        if status not in NEXT_STATUSES[current]:
            raise StatusRefused(f"a {current} ticket cannot become {status}: next may be "
                                f"{', '.join(NEXT_STATUSES[current])}")
        # A typed agency that the directory knows (case, spaces, diacritics aside) is stored as its entry.
        await con.execute("""UPDATE tickets t SET status = $2, agency = COALESCE(a.name, $3, t.agency),
                                 agency_id = CASE WHEN $3::text IS NULL THEN t.agency_id ELSE a.id END,
                                 updated_at = now()
                             FROM (SELECT 1) one LEFT JOIN agencies a ON a.name_key = agency_key($3::text)
                             WHERE t.id = $1""", ticket_id, status, None if agency is None else clean_text(agency))
        await con.execute("INSERT INTO ticket_events (ticket_id, by, status, note) VALUES ($1, $2, $3, $4)",
                          ticket_id, by, status, clean_text(note))
        return await get_ticket(con, ticket_id)


async def search_tickets(pool: Queryable, *, text: str | None, status: str | None, created_by: str | None,
                         limit: int = 100, channel: str | None = None) -> list[dict[str, Any]]:
    """Newest first; `text` matches the caller number, category, summary or agency (case-insensitive)."""
    pattern = None if not text else "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await pool.fetch(
        f"""SELECT {_COLUMNS} FROM tickets
            WHERE ($1::text IS NULL OR caller_number ILIKE $1 OR category ILIKE $1 OR summary ILIKE $1 OR tracking_code ILIKE $1
                   OR agency ILIKE $1)
              AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR created_by = $3 OR claimed_by = $3)
              AND ($5::text IS NULL OR channel = $5)
            ORDER BY updated_at DESC, id DESC LIMIT $4""", pattern, status, created_by, limit, channel)
    return [json_row(r) for r in rows]
