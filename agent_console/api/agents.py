"""Agents' live state and commands, and live queues.

An agent may act only on himself; supervisors and admins on anyone. The service's refusals
(unknown agent, a command the state does not allow, Asterisk away) pass through to
agent_console/errors.py, which answers 404, 409 and 503.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiohttp import web

from agent_console.api.forms import json_object
from agent_console.errors import ApiError
from agent_console.keys import AGENT_CONTROL, QUEUE_VIEW, pool_of, principal_of
from contracts.phones import PHONES as contract_phones
from contracts.ports import AgentControl
from db.agents import get_agent, list_agents

routes = web.RouteTableDef()

COMMANDS = ("login", "logout", "ready", "pause")
# login's optional {"phone"}: which of the extension's phones the queues ring; "auto" (the default): both when
# both are registered, else the one that is (ivr/acd/service.py).
PHONES = ("auto", *contract_phones)
MAX_REASON_CHARS = 40
_EXT = re.compile(r"^[0-9]{3,6}$")


@routes.get("/api/v1/agents", name="agents")
async def agents(request: web.Request) -> web.Response:
    live = {s["ext"]: s for s in _control(request).snapshot()}
    people = await list_agents(pool_of(request))
    rows = [_agent_row(p["ext"], p["name"], live.get(p["ext"])) for p in people if p["role"] == "agent"
            or p["ext"] in live]
    return web.json_response({"agents": rows})


async def agent_command(request: web.Request) -> web.Response:
    ext, command = request.match_info["ext"], request.path.rsplit("/", 1)[1]
    agent = await get_agent(pool_of(request), ext) if _EXT.match(ext) else None
    if agent is None:
        raise ApiError(404, f"no agent {ext}")
    principal = principal_of(request)
    if principal.ext != ext and not principal.sees_all_calls:
        raise ApiError(403, "agents may only act on themselves")
    phone = await parse_phone(request) if command == "login" else None     # bad input: 400 before anything
    control = _control(request)
    if command == "pause":
        reason = parse_reason(await json_object(request))
        state = await control.pause(ext, reason)
    elif phone is not None:
        state = await control.login(ext, phone=phone)
    else:
        state = await getattr(control, command)(ext)
    return web.json_response(_agent_row(ext, agent["name"], state))


for _command in COMMANDS:
    routes.post(f"/api/v1/agents/{{ext}}/{_command}", name=f"agent_{_command}")(agent_command)


@routes.get("/api/v1/queues", name="queues")
async def queues(request: web.Request) -> web.Response:
    view = request.app.get(QUEUE_VIEW)
    if view is None:
        raise ApiError(503, "queue view not available")
    rows = await view.queues()
    return web.json_response({"queues": [dict(r) for r in rows]}, headers={"Cache-Control": "no-store"})


async def parse_phone(request: web.Request) -> str:
    """login's body is optional; {"phone": "browser"} rings the browser phone (endpoint <ext>-web), "both" both."""
    if not request.body_exists:
        return "auto"
    phone = (await json_object(request)).get("phone", "auto")
    if phone not in PHONES:
        raise ApiError(400, f"phone must be one of {', '.join(PHONES)}")
    return phone


def parse_reason(body: Mapping[str, Any]) -> str:
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError(400, "reason is required: a short text, e.g. {\"reason\": \"meeting\"}")
    reason = reason.strip()
    if len(reason) > MAX_REASON_CHARS:
        raise ApiError(400, f"reason must be at most {MAX_REASON_CHARS} characters")
    # Control characters only, as every other text field (api/forms.py): the OpenAPI pattern says the same.
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in reason):
        raise ApiError(400, "reason must not contain control characters")
    return reason


def _control(request: web.Request) -> AgentControl:
    control = request.app.get(AGENT_CONTROL)
    if control is None:
        raise ApiError(503, "agent control not available")
    return control


def _agent_row(ext: str, name: str, state: Mapping[str, Any] | None) -> dict[str, Any]:
    state = state or {}
    since = state.get("since")
    return {"ext": ext, "name": name, "state": state.get("state", "logged_out"), "reason": state.get("reason"),
            "since": since.isoformat() if isinstance(since, datetime) else since,
            "linkedid": state.get("linkedid"), "phone": state.get("phone")}
