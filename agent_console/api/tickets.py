"""Tickets (phản ánh): the list, one ticket with its history, a ticket without a call, a status
change, and a text search. (The wrap-up that creates a call's ticket is in wrapups.py.)

Agents see and change the tickets they created or claimed (written requests: api/written.py);
supervisors and admins every ticket.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_console.api.wrapups import (
    MAX_AGENCY_CHARS,
    MAX_CATEGORY_CHARS,
    MAX_NOTES_CHARS,
)
from agent_console.api.forms import json_object, text_field
from agent_console.errors import ApiError
from db.caller_history import citizen_calls
from agent_console.keys import Principal, pool_of, principal_of
from db.wrapups import TICKET_CHANNELS, TICKET_STATUSES, list_tickets
from db.tickets import (
    NEXT_STATUSES,
    NewTicket,
    StatusRefused,
    change_status,
    create_ticket,
    get_ticket,
    search_tickets,
)

routes = web.RouteTableDef()


@routes.get("/api/v1/tickets", name="tickets")
async def tickets(request: web.Request) -> web.Response:
    principal = principal_of(request)
    # An empty value is malformed too (status=, channel=, limit=): the OpenAPI document lists the values.
    status = request.query.get("status")
    if status is not None and status not in TICKET_STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(TICKET_STATUSES)}")
    channel = request.query.get("channel")
    if channel is not None and channel not in TICKET_CHANNELS:
        raise ApiError(400, f"channel must be one of {', '.join(TICKET_CHANNELS)}")
    limit_text = request.query.get("limit", "100")
    if not limit_text.isascii() or not limit_text.isdigit() or not 1 <= int(limit_text) <= 500:
        raise ApiError(400, "limit must be a whole number between 1 and 500")
    rows = await list_tickets(pool_of(request), limit=int(limit_text), status=status,
                              linkedid=request.query.get("linkedid") or None, channel=channel,
                              created_by=None if principal.sees_all_calls else principal.ext)
    return web.json_response({"tickets": rows})


@routes.get("/api/v1/tickets/search", name="ticket_search")
async def ticket_search(request: web.Request) -> web.Response:
    principal = principal_of(request)
    text = (request.query.get("q") or "").strip()[:80] or None
    status = request.query.get("status") or None  # the console's search sends status= for "any"
    if status is not None and status not in NEXT_STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(NEXT_STATUSES)}")
    rows = await search_tickets(pool_of(request), text=text, status=status,
                                created_by=None if principal.sees_all_calls else principal.ext)
    return web.json_response({"tickets": rows})


@routes.post("/api/v1/tickets", name="ticket_create")
async def ticket_create(request: web.Request) -> web.Response:
    body = await json_object(request)
    branch = body.get("branch")
    if isinstance(branch, float) and branch.is_integer():  # JSON has one number type: 4.0 is 4
        branch = int(branch)
    if branch is not None and (not isinstance(branch, int) or isinstance(branch, bool) or not 1 <= branch <= 4):
        raise ApiError(400, "branch must be 1, 2, 3, 4 or null")
    new = NewTicket(caller_number=text_field(body, "caller_number", 32) or "", branch=branch,
                    category=text_field(body, "category", MAX_CATEGORY_CHARS, required=True) or "",
                    summary=text_field(body, "summary", MAX_NOTES_CHARS, multiline=True) or "",
                    agency=text_field(body, "agency", MAX_AGENCY_CHARS), created_by=principal_of(request).ext)
    return web.json_response(await create_ticket(pool_of(request), new), status=201)


@routes.get(r"/api/v1/tickets/{id:\d{1,18}}", name="ticket")
async def ticket(request: web.Request) -> web.Response:
    """A written request also carries the calls from its citizen's number (citizen_calls)."""
    found = await visible_ticket(request)
    if found["channel"] != "phone" and found["caller_number"]:
        found["citizen_calls"] = await citizen_calls(pool_of(request), found["caller_number"])
    return web.json_response(found)


@routes.post(r"/api/v1/tickets/{id:\d{1,18}}/status", name="ticket_status")
async def ticket_status(request: web.Request) -> web.Response:
    found = await visible_ticket(request)
    body = await json_object(request)
    status = body.get("status")
    if not isinstance(status, str) or status not in NEXT_STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(NEXT_STATUSES)}")
    agency = text_field(body, "agency", MAX_AGENCY_CHARS)
    if status == "forwarded" and not (agency or found["agency"]):
        raise ApiError(400, "agency is required when the ticket is forwarded")
    note = text_field(body, "note", MAX_NOTES_CHARS, multiline=True) or ""
    try:
        changed = await change_status(pool_of(request), found["id"], status, principal_of(request).ext, note, agency)
    except StatusRefused as exc:
        raise ApiError(409, str(exc)) from None
    if changed is None:
        raise ApiError(404, "no such ticket")
    return web.json_response(changed)


async def visible_ticket(request: web.Request) -> dict[str, Any]:
    found = await get_ticket(pool_of(request), int(request.match_info["id"]))
    if found is None:
        raise ApiError(404, "no such ticket")
    if not _may_see(principal_of(request), found):
        raise ApiError(403, "agents may only see the tickets they created or claimed")
    return found


def _may_see(principal: Principal, ticket: dict[str, Any]) -> bool:
    return principal.sees_all_calls or principal.ext in (ticket["created_by"], ticket["claimed_by"])


