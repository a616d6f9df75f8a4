"""Validation shared by the API's forms: the JSON body and its text fields.

Bad input is a 400 naming the field, and nothing is changed.
"""
from __future__ import annotations

import json
import unicodedata
from typing import Any

from aiohttp import web

from agent_console.errors import ApiError


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
