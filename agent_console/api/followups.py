"""The abandoned-call worklist (docs/followups.md): GET /api/v1/followups, POST …/{id}/call and
POST …/{id}/outcome.

Agents see and call the items of the branches they serve; supervisors and admins every item. A
call rings the signed-in person's own phone first (every active person has a PJSIP endpoint named
by his extension), then the citizen; the outcome (reached, no_answer, wrong_number) is recorded
by whoever placed the call, or by a supervisor.
"""
from __future__ import annotations

from aiohttp import web

from agent_console.api.forms import json_object
from agent_console.errors import ApiError
from agent_console.keys import FOLLOWUP_DIALER, pool_of, principal_of
from agent_console.services import followups as service
from db.followups import OUTCOMES, agent_followup_branches, list_followups, worklist_size

routes = web.RouteTableDef()
_ID = r"{id:\d{1,18}}"


async def _branches(request: web.Request) -> list[int] | None:
    principal = principal_of(request)
    return None if principal.sees_all_calls else await agent_followup_branches(pool_of(request), principal.ext)


@routes.get("/api/v1/followups", name="followups")
async def followups(request: web.Request) -> web.Response:
    state = request.query.get("state", "open")
    if state not in ("open", "closed"):
        raise ApiError(400, "state must be open or closed")
    limit = request.query.get("limit", "200")
    if not limit.isdigit() or not 1 <= int(limit) <= 500:
        raise ApiError(400, "limit must be a whole number from 1 to 500")
    pool = pool_of(request)
    items = await list_followups(pool, state=state, branches=await _branches(request), limit=int(limit))
    return web.json_response({"followups": items, "summary": await worklist_size(pool)},
                             headers={"Cache-Control": "no-store"})


@routes.post(f"/api/v1/followups/{_ID}/call", name="followup_call")
async def followup_call(request: web.Request) -> web.Response:
    dialer = request.app.get(FOLLOWUP_DIALER)
    if dialer is None:
        raise ApiError(503, "calls from the worklist are not available")
    principal = principal_of(request)
    try:
        item = await service.call_item(pool_of(request), dialer, int(request.match_info["id"]), principal.ext,
                                       await _branches(request))
    except ValueError as exc:       # the caller's own ext is not a phone's, or the number is not dialable
        raise ApiError(409, f"this call cannot be placed: {exc}") from None
    return web.json_response(item, status=202)


@routes.post(f"/api/v1/followups/{_ID}/outcome", name="followup_outcome")
async def followup_outcome(request: web.Request) -> web.Response:
    body = await json_object(request, 'e.g. {"outcome": "reached"}')
    outcome = body.get("outcome")
    if outcome not in OUTCOMES:
        raise ApiError(422, f"outcome must be one of {', '.join(OUTCOMES)}")
    principal = principal_of(request)
    item = await service.record_outcome(pool_of(request), int(request.match_info["id"]), outcome, principal.ext,
                                        any_agent=principal.sees_all_calls, branches=await _branches(request))
    return web.json_response(item)
