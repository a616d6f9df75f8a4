"""The surge switch (docs/followups.md#surge): GET /api/v1/surge (everyone signed in: the state;
supervisors and admins also the change log), POST /api/v1/surge (supervisors and admins):
{"enabled": bool, "branch": 2-4 (optional: the whole hotline when absent), "message": optional text
shown on the wallboard}.

The change is a row of the audit log (who, when, from where) first; the controller then writes it
into Asterisk's AstDB (contracts.ports.SurgeMirror). Asterisk away: the row stands, the answer says
`"asterisk": "pending"`, and the controller writes it after reconnecting.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_console.api.forms import json_object, text_field
from agent_console.errors import ApiError
from agent_console.keys import SURGE_MIRROR, pool_of, principal_of
from db.surge import SCOPE_ALL, surge_history, surge_states, switch_surge

routes = web.RouteTableDef()

# A branch's queue is its surge scope (the AstDB key the dialplan reads).
SURGE_BRANCHES = {2: "cdc", 3: "doctors", 4: "violations"}
MAX_MESSAGE_CHARS = 500


def scopes() -> list[tuple[str, int | None]]:
    return [(SCOPE_ALL, None), *((queue, branch) for branch, queue in SURGE_BRANCHES.items())]


async def surge_view(pool) -> list[dict[str, Any]]:
    """Every scope's state: scope, branch (None for the hotline), enabled, message, changed_by, changed_at."""
    states = await surge_states(pool)
    off = {"enabled": False, "message": "", "changed_by": None, "changed_at": None}
    return [{"scope": scope, "branch": branch, **{k: states.get(scope, off).get(k, off[k]) for k in off}}
            for scope, branch in scopes()]


@routes.get("/api/v1/surge", name="surge")
async def surge(request: web.Request) -> web.Response:
    pool = pool_of(request)
    answer: dict[str, Any] = {"surge": await surge_view(pool)}
    if principal_of(request).sees_all_calls:
        answer["history"] = await surge_history(pool, limit=20)
    return web.json_response(answer, headers={"Cache-Control": "no-store"})


@routes.post("/api/v1/surge", name="surge_switch")
async def surge_switch(request: web.Request) -> web.Response:
    principal = principal_of(request)
    if not principal.sees_all_calls:
        raise ApiError(403, "only supervisors and admins switch surge mode")
    body = await json_object(request, 'e.g. {"enabled": true, "branch": 2}')
    enabled, branch = body.get("enabled"), body.get("branch")
    if not isinstance(enabled, bool):
        raise ApiError(422, "enabled must be true or false")
    if branch is not None and (type(branch) is not int or branch not in SURGE_BRANCHES):
        raise ApiError(422, f"branch must be one of {', '.join(map(str, SURGE_BRANCHES))}, or absent for the hotline")
    if "message" in body and not isinstance(body["message"], str):
        raise ApiError(422, "message must be a string, or absent")
    message = text_field(body, "message", MAX_MESSAGE_CHARS) or ""
    scope = SURGE_BRANCHES[branch] if branch is not None else SCOPE_ALL
    row = await switch_surge(pool_of(request), scope=scope, enabled=enabled, message=message,
                             changed_by=principal.ext, remote_addr=request.remote)
    mirror = request.app.get(SURGE_MIRROR)
    applied = mirror is not None and await mirror.mirror(scope, enabled)
    return web.json_response({**row, "branch": branch, "asterisk": "applied" if applied else "pending"})
