"""The wrap-up form of a call: POST /api/v1/calls/{linkedid}/wrapup.

The body is checked completely before anything is stored (400 naming the field). The agency is
an entry of the directory (agency_id; a name is looked up there): the service refuses (422) one
that is not in it, inactive, or not serving the call's branch. Then one call on
the wrap-up service (agent_console/services/wrapups.py) decides who may submit it, stores the
wrap-up, the call's ticket and its history row together, and lets the agent leave wrap-up.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_console.api.forms import json_object, text_field
from agent_console.errors import ApiError
from agent_console.keys import AGENT_CONTROL, pool_of, principal_of
from agent_console.services.wrapups import WrapupForm, WrapupService
from db.wrapups import WRAPUP_OUTCOMES

routes = web.RouteTableDef()

FIELDS = ("category", "outcome", "agency_id", "agency", "notes")
MAX_CATEGORY_CHARS = 80
MAX_AGENCY_CHARS = 120
MAX_NOTES_CHARS = 2000


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
    agency_id = body.get("agency_id")
    if type(agency_id) is float and agency_id.is_integer():
        agency_id = int(agency_id)   # 1299.0 is the integer 1299 in JSON (and in the document's schema)
    if agency_id is not None and (type(agency_id) is not int or not 0 < agency_id < 2**31):
        raise ApiError(400, "agency_id must be the id of an agency of the directory (GET /api/v1/agencies)")
    agency = text_field(body, "agency", MAX_AGENCY_CHARS, multiline=False)
    if outcome == "forwarded" and agency_id is None and not agency:
        raise ApiError(400, "agency_id is required when the outcome is forwarded")
    notes = text_field(body, "notes", MAX_NOTES_CHARS, required=False, multiline=True)
    return WrapupForm(category or "", str(outcome), agency or None, notes or "", agency_id)


@routes.post("/api/v1/calls/{linkedid}/wrapup", name="wrapup")
async def wrapup(request: web.Request) -> web.Response:
    form = parse_wrapup(await json_object(request, '{"category", "outcome", "agency", "notes"}'))
    service = WrapupService(pool_of(request), request.app.get(AGENT_CONTROL))
    return web.json_response(await service.submit(request.match_info["linkedid"], principal_of(request), form))
