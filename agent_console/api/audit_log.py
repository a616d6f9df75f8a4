"""Reading the append-only audit logs (recording accesses, live listening), admins only, a page at a
time: ?limit= (1-500, default 100) and ?before_id= (the previous page's next_before_id)."""
from __future__ import annotations

import logging
import re
from typing import Any, Awaitable, Callable

import asyncpg
from aiohttp import web

from agent_console.errors import ApiError
from agent_console.keys import Principal, pool_of, principal_of

log = logging.getLogger(__name__)

AUDIT_DEFAULT_LIMIT = 100
AUDIT_MAX_LIMIT = 500
_WHOLE = re.compile(r"^[0-9]{1,18}$")

Lister = Callable[..., Awaitable[list[dict[str, Any]]]]   # (pool, *, limit, before_id) -> rows, newest first


def may_read_audit(principal: Principal) -> bool:
    return principal.role == "admin"


async def audit_log_page(request: web.Request, *, log_name: str, rows_key: str, lister: Lister) -> web.Response:
    """{rows_key: [...], "next_before_id": id or null}; 403 for anyone but an admin, 400 for bad paging."""
    principal = principal_of(request)
    if not may_read_audit(principal):
        log.warning("%s refused to %s (%s)", log_name, principal.ext, principal.role)
        raise ApiError(403, f"only admins may read the {log_name}")
    limit = whole(request.query.get("limit"), "limit", AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT)
    before_id = whole(request.query.get("before_id"), "before_id", None, 10**18 - 1)
    pool: asyncpg.Pool = pool_of(request)
    rows = await lister(pool, limit=limit, before_id=before_id)
    next_before_id = rows[-1]["id"] if len(rows) == limit else None
    return web.json_response({rows_key: rows, "next_before_id": next_before_id})


def whole(raw: str | None, name: str, default: int | None, maximum: int) -> int | None:
    """A query parameter that must be a whole number 1..maximum; `default` when absent."""
    if raw is None or raw == "":
        return default
    if not _WHOLE.match(raw) or not 1 <= int(raw) <= maximum:
        raise ApiError(400, f"{name} must be a whole number between 1 and {maximum}")
    return int(raw)
