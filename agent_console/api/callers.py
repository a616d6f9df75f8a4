"""GET /api/v1/callers/{number}/history: a caller's earlier calls and tickets (the screen pop).

Supervisors and admins always; an agent only while ringing with, talking to or wrapping up a
call from that number (the caller's number is personal data: need to know).
"""
from __future__ import annotations

from aiohttp import web

from agent_console.errors import ApiError
from agent_console.keys import AGENT_CONTROL, RINGING, pool_of, principal_of
from db.caller_history import number_history
from db.calls import get_call

routes = web.RouteTableDef()
_IN_A_CALL = ("ringing", "on_call", "wrap_up")


@routes.get("/api/v1/callers/{number}/history", name="caller_history")
async def caller_history(request: web.Request) -> web.Response:
    number = request.match_info["number"]
    if not number or len(number) > 64:
        raise ApiError(400, "number must be 1 to 64 characters")
    principal = principal_of(request)
    linkedid = await _my_call_with(request, principal.ext, number)
    if linkedid is None and not principal.sees_all_calls:
        raise ApiError(403, "agents may see the history of the caller they are talking to only")
    pool = pool_of(request)
    history = await number_history(pool, number, exclude_linkedid=linkedid)
    current = await get_call(pool, linkedid) if linkedid else None
    history["ivr_path"] = current["ivr_path"] if current else []
    return web.json_response(history, headers={"Cache-Control": "no-store"})


async def _my_call_with(request: web.Request, ext: str, number: str) -> str | None:
    """The linkedid of ext's current call when its caller is `number`, else None."""
    control = request.app.get(AGENT_CONTROL)
    mine = next((s for s in (control.snapshot() if control else []) if s.get("ext") == ext), None)
    if mine is None or mine.get("state") not in _IN_A_CALL or not mine.get("linkedid"):
        return None
    linkedid = mine["linkedid"]
    ringing = request.app[RINGING].ringing.get(ext)
    if ringing is not None and ringing.get("linkedid") == linkedid:
        return linkedid if ringing.get("caller_number") == number else None
    call = await get_call(pool_of(request), linkedid)
    return linkedid if call is not None and call["caller_number"] == number else None
