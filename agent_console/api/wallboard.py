"""GET /api/v1/wallboard: the supervisor's live wallboard in one answer (supervisors and admins).

queues: waiting and longest wait now (the QueueView, i.e. Asterisk), and today's answered,
abandoned and service level (db/wallboard.py, the local day in the hotline's zone — `today`,
`timezone` — 20 s);
agents: ext, name, state, reason, since (the browser computes the time in state).
"""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from agent_console.api.agents import _agent_row
from agent_console.errors import ApiError
from agent_console.keys import AGENT_CONTROL, CONFIG, QUEUE_VIEW, pool_of, principal_of
from db.agents import list_agents
from db.wallboard import today_by_queue

routes = web.RouteTableDef()
SERVICE_LEVEL_S = 20


@routes.get("/api/v1/wallboard", name="wallboard")
async def wallboard(request: web.Request) -> web.Response:
    if not principal_of(request).sees_all_calls:
        raise ApiError(403, "the wallboard is for supervisors and admins")
    view, control = request.app.get(QUEUE_VIEW), request.app.get(AGENT_CONTROL)
    if view is None or control is None:
        raise ApiError(503, "queue view or agent control not available")
    live = await view.queues()
    pool = pool_of(request)
    tz, now = request.app[CONFIG].timezone, datetime.now(UTC)
    today = await today_by_queue(pool, now, tz=tz, service_level_s=SERVICE_LEVEL_S)
    empty = {"answered": 0, "abandoned": 0, "service_level": None}
    queues = [{"queue": q["queue"], "waiting": q["waiting"], "longest_wait_s": q["longest_wait_s"],
               "available": q.get("available", 0), **today.get(q["queue"], empty)} for q in live]
    states = {s["ext"]: s for s in control.snapshot()}
    agents = [_agent_row(p["ext"], p["name"], states.get(p["ext"])) for p in await list_agents(pool)
              if p["role"] == "agent" or p["ext"] in states]
    return web.json_response({"queues": queues, "agents": agents, "service_level_s": SERVICE_LEVEL_S,
                              "today": now.astimezone(ZoneInfo(tz)).date().isoformat(), "timezone": tz},
                             headers={"Cache-Control": "no-store"})
