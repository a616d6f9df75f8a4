"""AGI(agi://…/callback_request,<number>,<branch>,<queue>,<language>,<priority>,<joined epoch>,<position>,<linkedid>):
a caller in a queue pressed * and confirmed a number (dialplan/extensions_callback.conf).

Sets CB_RESULT (booked | merged | invalid) and CB_ID. A request merged into an earlier one for the
same number and branch keeps the earlier place. When the controller or the database cannot answer
in time the dialplan sees AGISTATUS ≠ SUCCESS and puts the caller back in line instead.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from db.callbacks import NewRequest
from ivr.agi.server import AgiSession
from ivr.callbacks.placement import valid_number
from ivr.callbacks.service import CallbackService
from ivr.constants import BRANCHES

REQUEST_TIMEOUT_S = 3.0


def parse_request(args: list[str], linkedid_default: str, now: datetime) -> NewRequest | None:
    """The request the dialplan's arguments describe, or None when they are not one."""
    if len(args) < 8:
        return None
    number, branch, queue, language, priority, joined, position, linkedid = args[:8]
    if not valid_number(number) or not branch.isdigit() or int(branch) not in BRANCHES:
        return None
    if BRANCHES[int(branch)].queue != queue:
        return None
    try:
        place_at = datetime.fromtimestamp(int(joined), timezone.utc) if joined else now
    except (ValueError, OverflowError):
        place_at = now
    return NewRequest(number=number, branch=int(branch), queue=queue,
                      language=language if language in ("vi", "en") else "vi",
                      priority=int(priority) if priority.isdigit() else 0, place_at=min(place_at, now),
                      queue_position=int(position) if position.isdigit() else None,
                      original_linkedid=linkedid or linkedid_default)


class CallbackRequest:
    def __init__(self, service: CallbackService) -> None:
        self._service = service

    async def __call__(self, session: AgiSession) -> None:
        new = parse_request(session.request.args, session.request.uniqueid, datetime.now(timezone.utc))
        if new is None:
            await session.set_variable("CB_RESULT", "invalid")
            return
        request_id, merged = await asyncio.wait_for(self._service.request(new), REQUEST_TIMEOUT_S)
        await session.set_variable("CB_ID", str(request_id))
        await session.set_variable("CB_RESULT", "merged" if merged else "booked")
