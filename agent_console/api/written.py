"""The agents' side of written requests (portal, later SMS): the queue of a branch, oldest first,
with the time each has waited against the service target; claiming one (one agent each); replying
to the citizen or noting internally. Forwarding and closing are the tickets' own status change
(agent_console/api/tickets.py), allowed to the agent who claimed the request.

Agents see the queues of the branches they serve; supervisors and admins every branch."""
from __future__ import annotations

from aiohttp import web

from agent_console.api.forms import json_object, text_field
from agent_console.api.tickets import visible_ticket
from agent_console.api.wrapups import MAX_NOTES_CHARS
from agent_console.errors import ApiError
from agent_console.keys import CONFIG, SMS_SENDER, pool_of, principal_of
from agent_console.services.sms_replies import reply_by_sms
from db.written_requests import WRITTEN_BRANCHES, ClaimRefused, add_note, agent_branches, claim, queue

routes = web.RouteTableDef()


@routes.get("/api/v1/written-requests", name="written_requests")
async def written_requests(request: web.Request) -> web.Response:
    principal, pool = principal_of(request), pool_of(request)
    allowed = list(WRITTEN_BRANCHES.values()) if principal.sees_all_calls else await agent_branches(pool, principal.ext)
    wanted = request.query.get("branch") or None
    if wanted is not None:
        if wanted not in WRITTEN_BRANCHES:
            raise ApiError(400, f"branch must be one of {', '.join(WRITTEN_BRANCHES)}")
        if WRITTEN_BRANCHES[wanted] not in allowed:
            raise ApiError(403, "agents see the written requests of the branches they serve")
        allowed = [WRITTEN_BRANCHES[wanted]]
    target_s = request.app[CONFIG].written_target_h * 3600
    rows = await queue(pool, branches=allowed)
    for row in rows:
        row["overdue"] = row["waited_s"] > target_s
    names = {number: name for name, number in WRITTEN_BRANCHES.items()}
    return web.json_response({"requests": rows, "target_s": target_s,
                              "branches": [names[b] for b in allowed]})


@routes.post(r"/api/v1/tickets/{id:\d{1,18}}/claim", name="ticket_claim")
async def ticket_claim(request: web.Request) -> web.Response:
    """409 when another agent has it (or it is closed, or not written): exactly one of two claims wins."""
    principal, pool = principal_of(request), pool_of(request)
    ticket_id = int(request.match_info["id"])
    if not principal.sees_all_calls:
        branch = await pool.fetchval("SELECT branch FROM tickets WHERE id = $1", ticket_id)
        if branch is not None and branch not in await agent_branches(pool, principal.ext):
            raise ApiError(403, "agents claim the written requests of the branches they serve")
    try:
        return web.json_response(await claim(pool, ticket_id, principal.ext))
    except ClaimRefused as exc:
        raise ApiError(409, str(exc)) from None


@routes.post(r"/api/v1/tickets/{id:\d{1,18}}/replies", name="ticket_reply")
async def ticket_reply(request: web.Request) -> web.Response:
    """{"text", "public": true} a reply the citizen reads on the portal (an SMS request: gets as an SMS);
    public false: an internal note."""
    found = await visible_ticket(request)
    body = await json_object(request)
    public = body.get("public", True)
    if not isinstance(public, bool):
        raise ApiError(400, "public must be true or false")
    if public and found["channel"] == "phone":
        raise ApiError(409, "a ticket from a call has no portal to reply on")
    text = text_field(body, "text", MAX_NOTES_CHARS, required=True, multiline=True) or ""
    if public and found["channel"] == "sms":     # the citizen reads it on his phone
        changed = await reply_by_sms(pool_of(request), request.app.get(SMS_SENDER), found, text,
                                     principal_of(request).ext)
        if changed is None:
            raise ApiError(404, "no such ticket")
        return web.json_response(changed)
    changed = await add_note(pool_of(request), found["id"], principal_of(request).ext, text, public=public)
    if changed is None:
        raise ApiError(404, "no such ticket")
    return web.json_response(changed)
