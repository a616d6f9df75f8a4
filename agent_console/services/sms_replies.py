"""An agent's public reply to an SMS request goes to the citizen as an SMS (issue 14).

The send is recorded first (status queued: its id is in the delivery reports' URL), then handed
to the gateway. When the gateway does not take it the send stays recorded as failed and the
reply is not added to the request: the agent sees a 503 and may try again.
"""
from __future__ import annotations

from typing import Any

import asyncpg

from contracts.errors import SmsGatewayUnavailable
from contracts.ports import SmsSender
from db.sms import mark_delivery, record_send, sends_of
from db.written_requests import add_note


async def reply_by_sms(pool: asyncpg.Pool, sender: SmsSender | None, ticket: dict[str, Any], text: str,
                       by: str) -> dict[str, Any] | None:
    if sender is None:
        raise SmsGatewayUnavailable("the SMS channel is off (IVR_SMS)")
    send_id = await record_send(pool, ticket["id"], ticket["caller_number"], text, by)
    try:
        await sender.send(ticket["caller_number"], text, send_id)
    except SmsGatewayUnavailable as exc:
        await mark_delivery(pool, send_id, "failed", str(exc))
        raise
    changed = await add_note(pool, ticket["id"], by, text, public=True)
    if changed is not None:
        changed["sms_sends"] = await sends_of(pool, ticket["id"])
    return changed
