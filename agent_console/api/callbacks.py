"""GET /api/v1/callbacks: keep-place callback requests (supervisors and admins), newest first.

?state= one of db.callbacks.STATES or several comma-separated (default: all); ?limit= 1-500 (100).
Each item: id, number, branch, queue, language, state, requested_at, attempts, next_attempt_at,
reached_at, agent_ext, merged_into, original_linkedid, callback_linkedid, linked_calls (the original
call, then every attempt's call). GET /api/v1/callbacks/summary?from&to: requested, reached, failed
and the request→reached time's median and 90th percentile (docs/metrics.md#callbacks).
"""
from __future__ import annotations

from aiohttp import web

from agent_console.api.audit_log import whole
from agent_console.api.reports import local_bounds, parse_range
from agent_console.errors import ApiError
from agent_console.keys import CONFIG, pool_of, principal_of
from db.callbacks import MAX_LIST_LIMIT, STATES, callback_summary, list_callbacks

routes = web.RouteTableDef()


def _supervisor(request: web.Request) -> None:
    if not principal_of(request).sees_all_calls:
        raise ApiError(403, "callbacks are for supervisors and admins")


def parse_states(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    states = raw.split(",")
    wrong = [s for s in states if s not in STATES]
    if wrong:
        raise ApiError(400, f"state must be among {', '.join(STATES)}; got {', '.join(wrong)}")
    return states


@routes.get("/api/v1/callbacks")
async def callbacks(request: web.Request) -> web.Response:
    _supervisor(request)
    if len(request.query.getall("state", [])) > 1:
        raise ApiError(400, "state must be given once (comma-separate several states)")
    states = parse_states(request.query.get("state"))
    limit = whole(request.query.get("limit"), "limit", 100, MAX_LIST_LIMIT)
    rows = await list_callbacks(pool_of(request), states=states, limit=limit)
    return web.json_response({"callbacks": rows, "states": list(STATES)})


@routes.get("/api/v1/callbacks/summary")
async def summary(request: web.Request) -> web.Response:
    _supervisor(request)
    first, last = parse_range(request.query.get("from"), request.query.get("to"))
    start, end = local_bounds(first, last, request.app[CONFIG].timezone)
    return web.json_response(await callback_summary(pool_of(request), start, end))
