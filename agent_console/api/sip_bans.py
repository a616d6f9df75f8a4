"""Admins see the SIP bans and lift them (ivr/sip_guard.py bans an address after failed SIP authentications).

GET /api/v1/admin/sip-bans → {"bans": [{"id", "address", "banned_at", "until", "failures", "accounts",
"lifted_at", "lifted_by", "active"}]}, newest first. DELETE /api/v1/admin/sip-bans/{id} lifts an active ban
(200 with the ban; Asterisk accepts the address again at once), 404 when there is no such active ban.
The table itself is the audit: every ban, and who lifted it when.
"""
from __future__ import annotations

from aiohttp import web

from agent_console.errors import ApiError
from agent_console.keys import SIP_BANS, principal_of
from contracts.ports import SipBans

routes = web.RouteTableDef()


def _guard(request: web.Request) -> tuple[SipBans, str]:
    principal = principal_of(request)
    if principal.role != "admin":
        raise ApiError(403, "only admins may see or lift SIP bans")
    guard = request.app.get(SIP_BANS)
    if guard is None:
        raise ApiError(503, "the SIP guard is not running (no controller)")
    return guard, principal.ext


@routes.get("/api/v1/admin/sip-bans", name="sip_bans")
async def list_sip_bans(request: web.Request) -> web.Response:
    guard, _ = _guard(request)
    return web.json_response({"bans": list(await guard.bans())})


@routes.delete(r"/api/v1/admin/sip-bans/{id:\d{1,18}}", name="lift_sip_ban")
async def lift_sip_ban(request: web.Request) -> web.Response:
    guard, admin = _guard(request)
    lifted = await guard.lift(int(request.match_info["id"]), admin)
    if lifted is None:
        raise ApiError(404, "no such active ban")
    return web.json_response(dict(lifted))
