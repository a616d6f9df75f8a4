"""GET /api/v1/wallboard: the supervisor's live wallboard in one answer (supervisors and admins).

queues: waiting and longest wait now (the QueueView, i.e. Asterisk), and today's answered,
abandoned, service level and abandon rate (db/wallboard.py, the local day in the hotline's zone —
`today`, `timezone` — 20 s);
totals: the same across queues (longest wait the longest of all; available = agents ready now);
emergency: today's branch-1 calls, those 115 answered and those sent to the fallback queue;
calls: the live calls (contracts.ports.LiveCalls: menu, 115, waiting, talking), with the callers'
numbers — this answer is for supervisors and admins only;
agents: ext, name, state, reason, since (the browser computes the time in state);
thresholds: the colours' limits (IVR_WALL_*), service level and abandon rate as ratios;
followups: the abandoned-call worklist's size and oldest item ({"open", "oldest_at"});
surge: each surge scope's state (agent_console/api/surge.py).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from agent_console.api.agents import _agent_row
from agent_console.errors import ApiError
from agent_console.keys import AGENT_CONTROL, CONFIG, LIVE_CALLS, QUEUE_VIEW, pool_of, principal_of
from agent_console.api.surge import surge_view
from db.agents import list_agents
from db.followups import worklist_size
from db.wallboard import emergency_today, figures, today_by_queue

routes = web.RouteTableDef()
SERVICE_LEVEL_S = 20
_COUNTS = ("answered", "abandoned", "within_service_level", "timed_answers")


@routes.get("/api/v1/wallboard", name="wallboard")
async def wallboard(request: web.Request) -> web.Response:
    if not principal_of(request).sees_all_calls:
        raise ApiError(403, "the wallboard is for supervisors and admins")
    view, control = request.app.get(QUEUE_VIEW), request.app.get(AGENT_CONTROL)
    if view is None or control is None:
        raise ApiError(503, "queue view or agent control not available")
    live = await view.queues()
    pool, config = pool_of(request), request.app[CONFIG]
    tz, now = config.timezone, datetime.now(UTC)
    today = await today_by_queue(pool, now, tz=tz, service_level_s=SERVICE_LEVEL_S)
    empty = figures(0, 0, 0, 0)
    queues = [{"queue": q["queue"], "waiting": q["waiting"], "longest_wait_s": q["longest_wait_s"],
               "available": q.get("available", 0), **today.get(q["queue"], empty)} for q in live]
    snapshot = control.snapshot()
    states = {s["ext"]: s for s in snapshot}
    agents = [_agent_row(p["ext"], p["name"], states.get(p["ext"])) for p in await list_agents(pool)
              if p["role"] == "agent" or p["ext"] in states]
    live_calls = request.app.get(LIVE_CALLS)
    return web.json_response({
        "queues": queues, "totals": totals(queues, snapshot), "emergency": await emergency_today(pool, now, tz=tz),
        "calls": list(live_calls.live_calls()) if live_calls is not None else [],
        "agents": agents, "service_level_s": SERVICE_LEVEL_S, "thresholds": config.wall_thresholds(),
        "followups": await worklist_size(pool), "surge": await surge_view(pool),
        "today": now.astimezone(ZoneInfo(tz)).date().isoformat(), "timezone": tz},
        headers={"Cache-Control": "no-store"})


def totals(queues: list[dict[str, Any]], agent_states: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Across queues: sums of the counts, the longest wait of all, ratios from the summed counts;
    available = agents ready now (an agent in several queues counts once)."""
    counts = {name: sum(q[name] for q in queues) for name in _COUNTS}
    return {"waiting": sum(q["waiting"] for q in queues),
            "longest_wait_s": max((q["longest_wait_s"] for q in queues), default=0),
            "available": sum(1 for s in agent_states if s.get("state") == "ready"),
            **figures(**counts)}
