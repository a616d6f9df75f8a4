"""Written requests (issue 14): a citizen's request from the portal becomes a ticket with channel
'web', a tracking code and the citizen's phone, name and area; agents claim it (one agent each),
reply in public (the citizen sees it), forward and close it through the tickets' own status path.

The limits the portal applies (per address, per phone) count rows of portal_submissions."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

import asyncpg

from db.serialize import clean_text, json_row
from db.tickets import Queryable, get_ticket

# Readable over the phone: no 0/O, 1/I (nor L's look-alike problems beyond that); 32 letters, 8 of them = 40 bits.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8
PORTAL_AUTHOR = "portal"
# The subjects a citizen may write about: the menu's branches but the emergency (which is a call to 115).
WRITTEN_BRANCHES = {"cdc": 2, "doctors": 3, "violations": 4}
# What the citizen sees instead of the internal status (claimed or not, forwarded, closed).
PUBLIC_STATUS = {"open": "received", "forwarded": "forwarded", "verified": "forwarded", "closed": "resolved"}


@dataclass(frozen=True)
class WrittenRequest:
    phone: str            # national format, digits only, e.g. 0912345678
    branch: int           # 2 cdc, 3 doctors, 4 violations
    category: str
    text: str
    name: str
    area: str


class ClaimRefused(Exception):
    """The request is claimed by someone else, closed, or not a written request."""


def new_tracking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(text: str) -> str:
    """What the citizen typed, as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch not in " -")


@dataclass(frozen=True)
class PortalLimits:
    window_s: int          # the limits count submissions within this many seconds
    per_address: int
    per_phone: int
    duplicate_s: int       # the same phone, branch and text again within this: the first code


class TooManySubmissions(Exception):
    """This address or this phone has sent its limit within the window."""


async def submit(pool: asyncpg.Pool, request: WrittenRequest, *, remote_addr: str,
                 limits: PortalLimits) -> tuple[str, bool]:
    """(tracking code, created), or TooManySubmissions. The address's and then the phone's advisory lock
    (always in that order: no deadlock) make the counts exact and let two identical submissions at once
    find each other: the same phone, branch and text within duplicate_s gets the first one's code back."""
    text = clean_text(request.text)
    async with pool.acquire() as con, con.transaction():
        await con.execute("SELECT pg_advisory_xact_lock(1022017, hashtext('addr:' || $1))", remote_addr)
        await con.execute("SELECT pg_advisory_xact_lock(1022017, hashtext('phone:' || $1))", request.phone)
        counts = await con.fetchrow(
            """SELECT count(*) FILTER (WHERE remote_addr = $1) AS by_addr, count(*) FILTER (WHERE phone = $2) AS by_phone
               FROM portal_submissions
               WHERE at > now() - make_interval(secs => $3) AND (remote_addr = $1 OR phone = $2)""",
            remote_addr, request.phone, limits.window_s)
        if counts["by_addr"] >= limits.per_address or counts["by_phone"] >= limits.per_phone:
            raise TooManySubmissions(remote_addr)
        await con.execute("INSERT INTO portal_submissions (remote_addr, phone) VALUES ($1, $2)",
                          remote_addr, request.phone)
        await con.execute("DELETE FROM portal_submissions WHERE at < now() - make_interval(secs => $1)",
                          limits.window_s)
        same = await con.fetchval(
            """SELECT tracking_code FROM tickets
               WHERE channel = 'web' AND caller_number = $1 AND branch = $2 AND summary = $3
                 AND created_at > now() - make_interval(secs => $4)
               ORDER BY created_at DESC LIMIT 1""", request.phone, request.branch, text, limits.duplicate_s)
        if same is not None:
            return same, False
        _, code = await insert_written(con, replace(request, text=text), channel="web", author=PORTAL_AUTHOR)
    return code, True


async def insert_written(con: asyncpg.Connection, request: WrittenRequest, *, channel: str,
                         author: str) -> tuple[int, str]:
    """(ticket id, tracking code) of a new open written ticket, inside the caller's transaction."""
    while True:
        code = new_tracking_code()
        try:
            async with con.transaction():      # a savepoint: a code already taken is drawn again
                ticket_id = await con.fetchval(
                    """INSERT INTO tickets (caller_number, branch, category, status, summary, created_by, channel,
                                            tracking_code, citizen_name, citizen_area)
                       VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $9) RETURNING id""",
                    request.phone, request.branch, request.category, request.text, author, channel, code,
                    clean_text(request.name), clean_text(request.area))
            break
        except asyncpg.UniqueViolationError:
            continue
    await con.execute("INSERT INTO ticket_events (ticket_id, by, status, note) VALUES ($1, $2, 'open', $3)",
                      ticket_id, author, "")
    return ticket_id, code


async def lookup(pool: Queryable, code: str, phone: str) -> dict[str, Any] | None:
    """What the citizen sees of his request: never the internal notes, the agents or his own details."""
    row = await pool.fetchrow(
        """SELECT id, tracking_code, branch, status, claimed_by IS NOT NULL AS claimed, created_at, updated_at
           FROM tickets WHERE tracking_code = $1 AND caller_number = $2 AND channel <> 'phone'""", code, phone)
    if row is None:
        return None
    replies = await pool.fetch(
        "SELECT at, note AS text FROM ticket_events WHERE ticket_id = $1 AND public ORDER BY at, id", row["id"])
    status = PUBLIC_STATUS[row["status"]]
    if status == "received" and row["claimed"]:
        status = "in_progress"
    return {"tracking_code": row["tracking_code"], "branch": row["branch"], "status": status,
            "created_at": json_row(row)["created_at"], "updated_at": json_row(row)["updated_at"],
            "replies": [json_row(r) for r in replies]}


async def queue(pool: Queryable, *, branches: list[int], limit: int = 200) -> list[dict[str, Any]]:
    """The written requests of these branches not yet closed, oldest first, with how long each has waited."""
    rows = await pool.fetch(
        """SELECT id, tracking_code, channel, branch, category, status, summary, caller_number, citizen_name,
                  citizen_area, claimed_by, claimed_at, created_at, updated_at,
                  extract(epoch FROM now() - created_at)::float8 AS waited_s
           FROM tickets WHERE channel <> 'phone' AND status <> 'closed' AND branch = ANY($1::smallint[])
           ORDER BY created_at, id LIMIT $2""", branches, limit)
    return [json_row(r) for r in rows]


async def agent_branches(pool: Queryable, ext: str) -> list[int]:
    """The written branches of the queues this agent serves."""
    rows = await pool.fetch("SELECT queue FROM agent_branches WHERE ext = $1", ext)
    return sorted(WRITTEN_BRANCHES[r["queue"]] for r in rows if r["queue"] in WRITTEN_BRANCHES)


async def claim(pool: asyncpg.Pool, ticket_id: int, ext: str) -> dict[str, Any]:
    """One conditional UPDATE: of two agents claiming at once exactly one gets the row; ClaimRefused."""
    async with pool.acquire() as con, con.transaction():
        status = await con.fetchval(
            """UPDATE tickets SET claimed_by = $2, claimed_at = now(), updated_at = now()
               WHERE id = $1 AND claimed_by IS NULL AND channel <> 'phone' AND status <> 'closed'
               RETURNING status""", ticket_id, ext)
        if status is None:
            holder = await con.fetchval("SELECT claimed_by FROM tickets WHERE id = $1", ticket_id)
            raise ClaimRefused(f"already claimed by {holder}" if holder else
                               "only an open written request can be claimed")
        await con.execute("INSERT INTO ticket_events (ticket_id, by, status, note) VALUES ($1, $2, $3, 'claimed')",
                          ticket_id, ext, status)
        ticket = await get_ticket(con, ticket_id)
    assert ticket is not None
    return ticket


async def add_note(pool: asyncpg.Pool, ticket_id: int, by: str, text: str, *, public: bool) -> dict[str, Any] | None:
    """A reply the citizen sees (public) or an internal note; the status stays."""
    async with pool.acquire() as con, con.transaction():
        status = await con.fetchval("UPDATE tickets SET updated_at = now() WHERE id = $1 RETURNING status", ticket_id)
        if status is None:
            return None
        await con.execute(
            "INSERT INTO ticket_events (ticket_id, by, status, note, public) VALUES ($1, $2, $3, $4, $5)",
            ticket_id, by, status, clean_text(text), public)
        return await get_ticket(con, ticket_id)
