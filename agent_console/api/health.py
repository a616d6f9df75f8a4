"""GET /healthz: each component up or down; 503 when any is down (load balancers, make run)."""
from __future__ import annotations

import logging

from aiohttp import web

from agent_console.keys import HEALTH
from contracts.ports import HEALTH_COMPONENTS

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


@routes.get("/healthz", name="healthz")
async def healthz(request: web.Request) -> web.Response:
    try:
        states = dict(request.app[HEALTH].components())
    except Exception:
        log.exception("health provider failed")
        states = {name: False for name in HEALTH_COMPONENTS}
    ordered = [n for n in HEALTH_COMPONENTS if n in states] + sorted(set(states) - set(HEALTH_COMPONENTS))
    components = {name: "up" if states[name] else "down" for name in ordered}
    healthy = bool(components) and all(value == "up" for value in components.values())
    return web.json_response({"status": "up" if healthy else "degraded", "components": components},
                             status=200 if healthy else 503, headers={"Cache-Control": "no-store"})
