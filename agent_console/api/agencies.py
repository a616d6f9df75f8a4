"""The agency directory over HTTP.

GET /api/v1/agencies (anyone signed in: the wrap-up form picks from it; ?branch=N only the entries
serving it; ?all=1 the inactive ones too, admins only). POST /api/v1/admin/agencies and
PATCH /api/v1/admin/agencies/{id} (admins only): the body is checked completely before anything is
stored (400 naming the field; phone: 3-15 digits, null or "" clears it); a name another entry has is 409. GET /api/v1/admin/agencies/{id}/changes:
the entry's audit. db/agencies.py stores; docs/agencies.md explains.
"""
from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from agent_console.api.forms import json_object, text_field
from agent_console.errors import ApiError
from agent_console.keys import pool_of, principal_of
from contracts.errors import AgencyNameTaken, AgencyUnknown
from db.agencies import (BRANCHES, AgencyFields, DuplicateAgencyName, create_agency, list_agencies, list_changes,
                         update_agency)

routes = web.RouteTableDef()

FIELDS = ("name", "contact", "phone", "branches", "active")
MAX_NAME_CHARS = 120
MAX_CONTACT_CHARS = 200
_ID = re.compile(r"^[0-9]{1,9}$")
# The number a transferred caller is dialled on (migration 024's CHECK): digits only, 3 (113) to 15 (E.164).
PHONE = re.compile(r"[0-9]{3,15}")


def parse_agency(body: dict[str, Any], *, creating: bool) -> AgencyFields:
    """ApiError(400) names the first wrong field; on an edit every field is optional but one is needed."""
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise ApiError(400, f"unknown field {unknown[0]!r}: allowed are {', '.join(FIELDS)}")
    nulls = [field for field in FIELDS if field in body and body[field] is None and field != "phone"]
    if nulls:
        raise ApiError(400, f"{nulls[0]} must not be null (leave it out instead)")
    if not creating and not body:
        raise ApiError(400, f"nothing to change: give one of {', '.join(FIELDS)}")
    name = text_field(body, "name", MAX_NAME_CHARS, required=creating or "name" in body)
    contact = text_field(body, "contact", MAX_CONTACT_CHARS)
    if contact is None and (creating or "contact" in body):
        contact = ""   # a blank contact clears it
    branches = _branches(body["branches"]) if "branches" in body else None
    if creating and not branches:
        raise ApiError(400, "branches is required: the branches (1-4) this agency serves")
    active = body.get("active")
    if active is not None and not isinstance(active, bool):
        raise ApiError(400, "active must be true or false")
    return AgencyFields(name=name, contact=contact, branches=branches, active=active,
                        phone=parse_phone(body["phone"]) if "phone" in body else None)


def parse_phone(raw: Any) -> str:
    """The agency's number as stored: digits; "" (given as null or "") clears it."""
    if raw is None or raw == "":
        return ""
    if not isinstance(raw, str) or not PHONE.fullmatch(raw):
        raise ApiError(400, "phone must be 3 to 15 digits (no spaces or signs), or null / \"\" to clear it")
    return raw


def _branches(raw: Any) -> tuple[int, ...]:
    # 2.0 is the integer 2 in JSON (and in the OpenAPI document's schema); True is not a number here.
    if isinstance(raw, list):
        raw = [int(b) if type(b) is float and b.is_integer() else b for b in raw]
    if not isinstance(raw, list) or not raw or any(type(b) is not int for b in raw):
        raise ApiError(400, "branches must be a non-empty list of branch numbers (1-4)")
    unknown = sorted(set(raw) - set(BRANCHES))
    if unknown:
        raise ApiError(400, f"branches: unknown branch {unknown[0]} (the branches are 1-4)")
    return tuple(sorted(set(raw)))


def _admin(request: web.Request) -> str:
    principal = principal_of(request)
    if principal.role != "admin":
        raise ApiError(403, "only admins may change the agency directory")
    return principal.ext


def _agency_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not _ID.match(raw):
        raise ApiError(404, "no such agency")
    return int(raw)


@routes.get("/api/v1/agencies", name="agencies")
async def agencies(request: web.Request) -> web.Response:
    raw_branch = request.query.get("branch")
    if raw_branch not in (None, "") and raw_branch not in {str(b) for b in BRANCHES}:
        raise ApiError(400, "branch must be 1, 2, 3 or 4")
    raw_all = request.query.getall("all", [])
    if raw_all not in ([], ["1"]):
        raise ApiError(400, "all must be 1 (given once), or absent")
    every = raw_all == ["1"]
    if every:
        _admin(request)
    found = await list_agencies(pool_of(request), branch=int(raw_branch) if raw_branch else None,
                                active_only=not every)
    return web.json_response({"agencies": found})


@routes.post("/api/v1/admin/agencies", name="agency_create")
async def agency_create(request: web.Request) -> web.Response:
    by = _admin(request)
    fields = parse_agency(await json_object(request, '{"name", "contact", "phone", "branches"}'), creating=True)
    try:
        made = await create_agency(pool_of(request), fields, by)
    except DuplicateAgencyName as exc:
        raise AgencyNameTaken(str(exc)) from None
    return web.json_response(made, status=201)


@routes.patch("/api/v1/admin/agencies/{id}", name="agency_update")
async def agency_update(request: web.Request) -> web.Response:
    by = _admin(request)
    agency_id = _agency_id(request)
    fields = parse_agency(await json_object(request, '{"name", "contact", "phone", "branches", "active"}'), creating=False)
    try:
        changed = await update_agency(pool_of(request), agency_id, fields, by)
    except DuplicateAgencyName as exc:
        raise AgencyNameTaken(str(exc)) from None
    if changed is None:
        raise AgencyUnknown(f"no agency {agency_id}")
    return web.json_response(changed)


@routes.get("/api/v1/admin/agencies/{id}/changes", name="agency_changes")
async def agency_changes(request: web.Request) -> web.Response:
    _admin(request)
    return web.json_response({"changes": await list_changes(pool_of(request), _agency_id(request))})
