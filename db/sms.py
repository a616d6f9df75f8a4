"""The SMS channel in the database (issue 14; parsing in db/sms_text.py).

`receive` turns one MO message into a new sms ticket, or a follow-up on the sender's open sms
request, and returns the SMS to answer with. One transaction, under an advisory lock on the
gateway's message id: a retried message gets the stored answer and creates nothing; PostgreSQL
away means nothing was written (the gateway is told to retry). The parts of a concatenated
message wait in sms_parts until the last one arrives.

`record_send` / `mark_delivery` keep each SMS an agent sends and its delivery status."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from db.serialize import clean_text, json_row
from db.sms_text import FINAL_STATUSES, Concat, branch_of, joined_reply, received_reply
from db.tickets import Queryable
from db.written_requests import WrittenRequest, insert_written

SMS_AUTHOR = "sms"
_LOCK_SPACE = 1022019


@dataclass(frozen=True)
class InboundSms:
    gateway: str          # kannel | jasmin
    message_id: str
    sender: str           # the citizen's number as stored (national form when Vietnamese)
    receiver: str
    text: str
    concat: Concat | None = None


@dataclass(frozen=True)
class SmsAnswer:
    reply: str            # the SMS back to the citizen ('' while parts are missing: nothing is sent)
    ticket_id: int | None
    created: bool         # False for a retry of a message already stored


async def receive(pool: asyncpg.Pool, sms: InboundSms) -> SmsAnswer:
    async with pool.acquire() as con, con.transaction():
        await con.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", _LOCK_SPACE,
                          f"{sms.gateway}:{sms.message_id}")
        stored = await con.fetchrow("SELECT reply, ticket_id FROM sms_inbound WHERE gateway = $1 AND message_id = $2",
                                    sms.gateway, sms.message_id)
        if stored is not None:
            return SmsAnswer(stored["reply"], stored["ticket_id"], False)
        text = clean_text(sms.text)
        if sms.concat is not None:
            joined = await _joined_parts(con, sms, text)
            if joined is None:
                await _store(con, sms, text, None, False, "")
                return SmsAnswer("", None, True)
            text = joined
        ticket_id, code, joined_open = await _open_or_join(con, sms.sender, text)
        reply = joined_reply(code) if joined_open else received_reply(code)
        await _store(con, sms, text, ticket_id, joined_open, reply)
        return SmsAnswer(reply, ticket_id, True)


async def _joined_parts(con: asyncpg.Connection, sms: InboundSms, text: str) -> str | None:
    """The whole text once every part is here (the parts are then deleted), else None."""
    c = sms.concat
    assert c is not None
    await con.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", _LOCK_SPACE,
                      f"parts:{sms.gateway}:{sms.sender}:{c.ref}")
    await con.execute(
        """INSERT INTO sms_parts (gateway, sender, ref, total, part, message_id, text) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT DO NOTHING""", sms.gateway, sms.sender, c.ref, c.total, c.part, sms.message_id, text)
    parts = await con.fetch(
        "SELECT part, text FROM sms_parts WHERE gateway = $1 AND sender = $2 AND ref = $3 AND total = $4 ORDER BY part",
        sms.gateway, sms.sender, c.ref, c.total)
    if len(parts) < c.total:
        return None
    await con.execute("DELETE FROM sms_parts WHERE gateway = $1 AND sender = $2 AND ref = $3",
                      sms.gateway, sms.sender, c.ref)
    return "".join(p["text"] for p in parts)


async def _open_or_join(con: asyncpg.Connection, sender: str, text: str) -> tuple[int, str, bool]:
    """(ticket id, tracking code, joined): the sender's newest open sms request takes the text as a
    follow-up; otherwise a new request, its branch from the first word."""
    await con.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", _LOCK_SPACE, f"sender:{sender}")
    open_request = await con.fetchrow(
        """SELECT id, tracking_code, status FROM tickets
           WHERE caller_number = $1 AND channel = 'sms' AND status <> 'closed'
           ORDER BY created_at DESC LIMIT 1 FOR UPDATE""", sender)
    if open_request is not None:
        await con.execute("UPDATE tickets SET updated_at = now() WHERE id = $1", open_request["id"])
        await con.execute("INSERT INTO ticket_events (ticket_id, by, status, note) VALUES ($1, $2, $3, $4)",
                          open_request["id"], SMS_AUTHOR, open_request["status"], text)
        return open_request["id"], open_request["tracking_code"], True
    branch, category = branch_of(text)
    request = WrittenRequest(phone=sender, branch=branch, category=category, text=text, name="", area="")
    ticket_id, code = await insert_written(con, request, channel="sms", author=SMS_AUTHOR)
    return ticket_id, code, False


async def _store(con: asyncpg.Connection, sms: InboundSms, text: str, ticket_id: int | None, joined: bool,
                 reply: str) -> None:
    await con.execute(
        """INSERT INTO sms_inbound (gateway, message_id, sender, receiver, text, ticket_id, joined, reply)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        sms.gateway, sms.message_id, sms.sender, clean_text(sms.receiver), text, ticket_id, joined, reply)


async def record_send(pool: Queryable, ticket_id: int, receiver: str, text: str, by: str) -> int:
    """A new outbound SMS, status queued; its id goes into the dlr-url."""
    return await pool.fetchval(
        "INSERT INTO sms_outbound (ticket_id, receiver, text, sent_by) VALUES ($1, $2, $3, $4) RETURNING id",
        ticket_id, receiver, clean_text(text), by)


async def mark_delivery(pool: Queryable, send_id: int, status: str, detail: str) -> bool:
    """A delivery report: a final status (delivered, failed, rejected) is never overwritten by a
    late intermediate one. False when there is no such send."""
    changed = await pool.fetchval(
        """UPDATE sms_outbound SET status = CASE WHEN status = ANY($4::text[]) THEN status ELSE $2 END,
                  detail = $3, status_at = now()
           WHERE id = $1 RETURNING id""", send_id, status, clean_text(detail)[:300], list(FINAL_STATUSES))
    return changed is not None


async def sends_of(pool: Queryable, ticket_id: int) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """SELECT id, receiver, text, sent_by, status, detail, created_at, status_at
           FROM sms_outbound WHERE ticket_id = $1 ORDER BY id""", ticket_id)
    return [json_row(r) for r in rows]
