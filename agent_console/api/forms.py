"""Validation shared by the API's forms: the JSON body, its text fields, a path's linkedid.

Bad input is a 400 naming the field, and nothing is changed.
"""
from __future__ import annotations

import json
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiohttp import web

from agent_console.errors import ApiError
from agent_console.keys import pool_of
from db.calls import MAX_LINKEDID_CHARS


async def by_linkedid(request: web.Request, lookup: Callable[[asyncpg.Pool, str], Awaitable[Any]],
                      missing: str) -> Any:
    """What `lookup(pool, linkedid)` finds for the path's {linkedid}; 404 `missing` when nothing."""
    linkedid = request.match_info["linkedid"]
    found = await lookup(pool_of(request), linkedid) if len(linkedid) <= MAX_LINKEDID_CHARS else None
    if found is None:
        raise ApiError(404, missing)
    return found


async def json_object(request: web.Request, hint: str = "") -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object" + (f": {hint}" if hint else ""))
    return body


def text_field(body: dict[str, Any], field: str, limit: int, *, required: bool = False,
               multiline: bool = False) -> str | None:
    """The trimmed text of `field`, None when absent or blank (an error when required).
    Control characters are refused (newlines and tabs too, unless multiline): they would
    let a value forge lines in logs, CSV exports or AMI/SIP headers."""
    value = body.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ApiError(400, f"{field} is required")
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{field} must be a string")
    value = value.strip()
    if len(value) > limit:
        raise ApiError(400, f"{field} must be at most {limit} characters (got {len(value)})")
    allowed = "\n\t" if multiline else ""
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value):
        raise ApiError(400, f"{field} must not contain control characters")
    return value
