"""Recent calls and one call's detail. Agents see only their own calls; supervisors and admins all."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from aiohttp import web

from agent_console.api.forms import by_linkedid
from agent_console.errors import ApiError
from agent_console.keys import CONFIG, pool_of, principal_of
from db.calls import get_call, list_calls

routes = web.RouteTableDef()
_WHOLE_NUMBER = re.compile(r"^[0-9]{1,6}$")  # ASCII only: str.isdigit() accepts '²'


@routes.get("/api/v1/calls", name="calls")
async def calls(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    principal = principal_of(request)
    limit = _limit(request.query.get("limit"), config.calls_default_limit, config.calls_max_limit)
    before = _timestamp(request.query.get("before"))
    agent = request.query.get("agent") or None
    if not principal.sees_all_calls:
        if agent not in (None, principal.ext):
            raise ApiError(403, "agents may only list their own calls")
        agent = principal.ext
    rows = await list_calls(pool_of(request), limit=limit, before=before, agent=agent)
    next_before = rows[-1]["started_at"] if len(rows) == limit else None
    return web.json_response({"calls": rows, "next_before": next_before})


@routes.get("/api/v1/calls/{linkedid}", name="call")
async def call(request: web.Request) -> web.Response:
    found = await by_linkedid(request, get_call, "no such call")
    principal = principal_of(request)
    if not principal.sees_all_calls and found["agent"] != principal.ext:
        raise ApiError(403, "this call was handled by another agent")
    return web.json_response(found)


def _limit(raw: str | None, default: int, maximum: int) -> int:
    if raw is None:  # an empty limit= is malformed, as the OpenAPI document says
        return default
    if not _WHOLE_NUMBER.match(raw) or not 1 <= int(raw) <= maximum:
        raise ApiError(400, f"limit must be a whole number between 1 and {maximum}")
    return int(raw)


def _timestamp(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise ApiError(400, "before must be an ISO-8601 timestamp, e.g. 2021-08-19T08:00:00+07:00") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
