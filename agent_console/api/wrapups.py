"""The wrap-up form of a call, and tickets.

POST /api/v1/calls/{linkedid}/wrapup: only the agent who took the call (or a supervisor/admin);
the body is checked completely before anything is stored (400 naming the field); then the
wrap-up, the call's ticket and its history row are stored together, and the agent leaves wrap-up.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from agent_console.api.agents import run_command
from agent_console.api.forms import json_object, text_field
from agent_console.errors import ApiError
from agent_console.keys import AGENT_CONTROL, pool_of, principal_of
from agent_console.ports import AgentControl
from db.calls import get_call
from db.wrapups import (
    TICKET_STATUSES,
    WRAPUP_OUTCOMES,
    Wrapup,
    list_tickets,
    save_wrapup,
)

routes = web.RouteTableDef()

FIELDS = ("category", "outcome", "agency", "notes")
MAX_CATEGORY_CHARS = 80
MAX_AGENCY_CHARS = 120
MAX_NOTES_CHARS = 2000


@dataclass(frozen=True)
class WrapupForm:
    category: str
    outcome: str
    agency: str | None
    notes: str


def parse_wrapup(body: Any) -> WrapupForm:
    """Validate a wrap-up body; ApiError(400) names the first field that is wrong."""
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object with category, outcome, agency, notes")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise ApiError(400, f"unknown field {unknown[0]!r}: allowed are {', '.join(FIELDS)}")
    category = text_field(body, "category", MAX_CATEGORY_CHARS, required=True, multiline=False)
    outcome = body.get("outcome")
    if outcome not in WRAPUP_OUTCOMES:
        raise ApiError(400, f"outcome must be one of {', '.join(WRAPUP_OUTCOMES)}")
    agency = text_field(body, "agency", MAX_AGENCY_CHARS, required=outcome == "forwarded", multiline=False)
    if outcome == "forwarded" and not agency:
        raise ApiError(400, "agency is required when the outcome is forwarded")
    notes = text_field(body, "notes", MAX_NOTES_CHARS, required=False, multiline=True)
    return WrapupForm(category or "", str(outcome), agency or None, notes or "")



@routes.post("/api/v1/calls/{linkedid}/wrapup", name="wrapup")
async def wrapup(request: web.Request) -> web.Response:
    linkedid = request.match_info["linkedid"]
    principal = principal_of(request)
    control = request.app.get(AGENT_CONTROL)
    agent = await _agent_of_call(request, linkedid, control)
    if agent != principal.ext and not principal.sees_all_calls:
        raise ApiError(403, "only the agent who took this call may wrap it up")
    form = parse_wrapup(await json_object(request, '{"category", "outcome", "agency", "notes"}'))
    saved = await save_wrapup(pool_of(request), Wrapup(
        linkedid=linkedid, ext=agent or principal.ext, category=form.category, outcome=form.outcome,
        agency=form.agency, notes=form.notes, submitted_by=principal.ext))
    if control is not None and agent:
        saved["agent"] = _json_state(await run_command(control.wrapup_submitted(agent, linkedid)))
    return web.json_response(saved)


@routes.get("/api/v1/tickets", name="tickets")
async def tickets(request: web.Request) -> web.Response:
    principal = principal_of(request)
    status = request.query.get("status") or None
    if status is not None and status not in TICKET_STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(TICKET_STATUSES)}")
    limit_text = request.query.get("limit") or "100"
    if not limit_text.isascii() or not limit_text.isdigit() or not 1 <= int(limit_text) <= 500:
        raise ApiError(400, "limit must be a whole number between 1 and 500")
    rows = await list_tickets(pool_of(request), limit=int(limit_text), status=status,
                              linkedid=request.query.get("linkedid") or None,
                              created_by=None if principal.sees_all_calls else principal.ext)
    return web.json_response({"tickets": rows})


async def _agent_of_call(request: web.Request, linkedid: str, control: AgentControl | None) -> str | None:
    """Who took the call: the call record, or (before it is written) the agent's live state."""
    call = await get_call(pool_of(request), linkedid) if len(linkedid) <= 128 else None
    if call is not None and call["agent"]:
        return call["agent"]
    for state in control.snapshot() if control is not None else []:
        if state.get("linkedid") == linkedid:
            return state["ext"]
    if call is None:
        raise ApiError(404, "no such call")
    return None



def _json_state(state: Any) -> dict[str, Any]:
    row = dict(state)
    since = row.get("since")
    row["since"] = since.isoformat() if hasattr(since, "isoformat") else since
    return row
