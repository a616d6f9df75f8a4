"""Listening to an agent's live call from the supervisor's own phone, and its audit log.

POST /api/v1/agents/{ext}/listen (supervisors and admins): the listener is the signed-in person's
own extension (every active person has a PJSIP endpoint named by it). The optional body
{"phone": "desk" | "browser"} says which of their phones rings: the desk phone (the default) or the
console's browser phone (the wallboard sends "browser" while its phone is registered). The agent must
be on a call (the AgentControl snapshot) and the listener's phone registered; otherwise 409 and
nothing is sent or written.

Audit: hearing a citizen's call is access to personal data. The live_listen_log row is inserted
and the Originate sent inside one transaction, committed only once Asterisk queued the call: no
listening without a row (the database away → 503 before anything rings), and no row for a listen
Asterisk refused. The listening channel is named after the row (ChannelId listen-<listener>-<agent>-<id>),
so the controller can add what became of it (live_listen_outcomes: answered or not, when it ended).
GET /api/v1/audit/live-listen (admins) reads the log with those outcomes, newest first.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from aiohttp import web

from agent_console.api.audit_log import audit_log_page
from agent_console.api.forms import json_object
from agent_console.errors import ApiError
from agent_console.keys import AGENT_CONTROL, LIVE_LISTEN, pool_of, principal_of
from contracts.phones import LISTENER_PHONES
from db.agents import get_agent
from db.live_listen import list_listens, record_listen

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

_EXT = re.compile(r"^[0-9]{3,6}$")


@routes.post("/api/v1/agents/{ext}/listen", name="agent_listen")
@routes.post("/api/v1/agents/{ext}/whisper", name="agent_whisper")
@routes.post("/api/v1/agents/{ext}/barge", name="agent_barge")
async def listen(request: web.Request) -> web.Response:
    """listen, whisper (the agent hears the supervisor, the caller does not) or barge (both do): the last
    part of the path; audited alike, with the mode."""
    principal = principal_of(request)
    mode = request.path.rsplit("/", 1)[1]
    if not principal.sees_all_calls:
        log.warning("live listen refused to %s (%s) from %s", principal.ext, principal.role, request.remote)
        raise ApiError(403, "only supervisors and admins may listen to a call")
    ext = request.match_info["ext"]
    phone = await _phone(request)
    pool = pool_of(request)
    if not _EXT.match(ext) or await get_agent(pool, ext) is None:
        raise ApiError(404, f"no agent {ext}")
    control, listener = request.app.get(AGENT_CONTROL), request.app.get(LIVE_LISTEN)
    if control is None or listener is None:
        raise ApiError(503, "live listening not available")
    state = _state_of(control.snapshot(), ext)
    if state.get("state") != "on_call":
        raise ApiError(409, f"agent {ext} is not on a call (state {state.get('state', 'logged_out')})")
    if ext == principal.ext:
        raise ApiError(409, "you cannot listen to your own call")
    linkedid = state.get("linkedid")
    try:   # ListenerPhoneOffline (409) and TelephonyUnavailable (503) roll the row back and pass through
        async with pool.acquire() as con, con.transaction():
            listen_id = await record_listen(con, agent_ext=ext, listener_ext=principal.ext,
                                            listener_role=principal.role, linkedid=linkedid,
                                            remote_addr=request.remote, mode=mode)
            await listener.listen(ext, principal.ext, listen_id, mode, phone)
    except ValueError as exc:       # the listener's own ext is not a phone's (not digits)
        raise ApiError(409, f"your extension has no phone to ring: {exc}") from None
    log.info("live %s %d: %s (%s, %s phone) on %s's call %s", mode, listen_id, principal.ext, principal.role, phone,
             ext, linkedid)
    body = {"agent": ext, "listener": principal.ext, "linkedid": linkedid, "listen_id": listen_id}
    if mode != "listen":
        body["mode"] = mode
    return web.json_response(body, status=202)


@routes.get("/api/v1/audit/live-listen", name="live_listen_audit")
async def live_listen_audit(request: web.Request) -> web.Response:
    return await audit_log_page(request, log_name="live listening log", rows_key="listens", lister=list_listens)


async def _phone(request: web.Request) -> str:
    """The optional body's phone: "desk" (also without a body) or "browser"; anything else is a 400."""
    if not request.body_exists:
        return "desk"
    phone = (await json_object(request)).get("phone", "desk")
    if phone not in LISTENER_PHONES:
        raise ApiError(400, f"phone must be one of {', '.join(LISTENER_PHONES)}")
    return phone


def _state_of(snapshot: list[Any], ext: str) -> dict[str, Any]:
    return next((dict(s) for s in snapshot if s.get("ext") == ext), {})
