"""Admins see the sign-in locks and lift them (agent_console/web/sign_in_limit.py).

GET /api/v1/admin/sign-in-locks → {"locks": [{"key": "account:1001" | "address:10.0.0.7", "kind",
"value", "failures", "retry_after_s"}]}: every account and address whose failures in the window
delay or refuse a sign-in now. DELETE /api/v1/admin/sign-in-locks/{key} forgets that key's
failures (204), and says so in the log with who lifted it.
"""
from __future__ import annotations

import logging
import math

from aiohttp import web

from agent_console.errors import ApiError
from agent_console.keys import LIMITER, pool_of, principal_of
from db.sign_in_failures import failure_groups, forget

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
_KINDS = ("account", "address")


def _admin_only(request: web.Request) -> str:
    principal = principal_of(request)
    if principal.role != "admin":
        raise ApiError(403, "only admins may see or lift sign-in locks")
    return principal.ext


@routes.get("/api/v1/admin/sign-in-locks", name="sign_in_locks")
async def list_locks(request: web.Request) -> web.Response:
    _admin_only(request)
    limiter = request.app[LIMITER]
    groups = await failure_groups(pool_of(request), limiter.window_s, min_account=limiter.limit,
                                  min_address=limiter.address_limit)
    locks = []
    for group in groups:
        if group["kind"] == "address":
            wait = limiter.window_s - group["idle_s"]
        else:
            wait = limiter.account_delay_s(group["failures"]) - group["idle_s"]
        if wait > 0:
            locks.append({"key": f"{group['kind']}:{group['value']}", "kind": group["kind"],
                          "value": group["value"], "failures": group["failures"],
                          "retry_after_s": math.ceil(wait)})
    return web.json_response({"locks": locks})


@routes.delete("/api/v1/admin/sign-in-locks/{key}", name="lift_sign_in_lock")
async def lift_lock(request: web.Request) -> web.Response:
    admin = _admin_only(request)
    kind, sep, value = request.match_info["key"].partition(":")
    if not sep or kind not in _KINDS or not value or len(value) > 64:
        raise ApiError(400, "key must be account:<username> or address:<client address>")
    deleted = await forget(pool_of(request), kind, value)
    log.warning("sign-in lock lifted by admin %s: %s:%s (%d failures forgotten)", admin, kind, value, deleted)
    return web.Response(status=204)
