"""Control characters are refused in one place, before any handler, query or session lookup.

PostgreSQL cannot store NUL (asyncpg raises CharacterNotInRepertoireError, which was a 500), and
control characters in an identifier or a query value have no meaning here: they only forge lines in
logs, CSV exports or AMI/SIP headers. So every path, query value and form or JSON body value (keys
too) is checked, and a request carrying one gets 400 naming where it was:

- path and query: no C0 control (U+0000–U+001F), no DEL, no C1 control (U+0080–U+009F), no lone surrogate;
- body values: the same, except tab, CR and LF, which multi-line text (a wrap-up note) may hold.
  Each form still applies its own stricter rule per field (agent_console/api/forms.py text_field).
"""
from __future__ import annotations

import json
from typing import Any, Iterator

from aiohttp import web
from aiohttp.typedefs import Handler

from agent_console.errors import ApiError

_BODY_ALLOWED = frozenset("\t\r\n")
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# An SMS gateway passes the message in the query: its lines are the citizen's. Its form body may be UCS-2
# bytes, which only the handler can decode: it checks the decoded text itself (agent_console/api/sms.py).
MULTILINE_QUERY_PATHS = frozenset({"/api/v1/sms/inbound"})
RAW_BODY_PATHS = frozenset({"/api/v1/sms/inbound"})


def bad_character(text: str, allowed: frozenset[str] = frozenset()) -> str | None:
    """A description of the first character `text` must not hold, or None."""
    for ch in text:
        code = ord(ch)
        if (code < 0x20 or 0x7F <= code <= 0x9F) and ch not in allowed:
            return f"control character U+{code:04X}"
        if 0xD800 <= code <= 0xDFFF:
            return f"lone surrogate U+{code:04X}"
    return None


def _json_strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(location, text) of every string in a JSON document, keys included."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{where} key {key!r}", str(key)
            yield from _json_strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{where}[{index}]")


def _refuse(where: str, problem: str) -> ApiError:
    return ApiError(400, f"{where} must not contain a {problem}")


def check_path_and_query(request: web.Request) -> None:
    problem = bad_character(request.path)
    if problem:
        raise _refuse("the path", problem)
    allowed = _BODY_ALLOWED if request.path in MULTILINE_QUERY_PATHS else frozenset()
    for name, value in request.query.items():
        problem = bad_character(name) or bad_character(value, allowed)
        if problem:
            raise _refuse(f"query parameter {name!r}", problem)


async def check_body(request: web.Request) -> None:
    """Reads the body once; aiohttp keeps it, so the handler reads it again as usual."""
    if not request.body_exists:
        return
    if request.content_type == "application/json":
        try:
            document = json.loads(await request.text())
        except (ValueError, UnicodeDecodeError):
            return  # not JSON: the handler answers its own 400 "body must be JSON"
        for where, text in _json_strings(document, "body"):
            problem = bad_character(text, _BODY_ALLOWED)
            if problem:
                raise _refuse(where if where != "body" else "the body", problem)
    elif request.content_type in _FORM_TYPES:
        try:
            fields = await request.post()
        except ValueError:  # multipart/form-data without a boundary, a broken form
            raise ApiError(400, "the body is not a well-formed form") from None
        for name, value in fields.items():
            if isinstance(value, str):
                problem = bad_character(name) or bad_character(value, _BODY_ALLOWED)
                if problem:
                    raise _refuse(f"form field {name!r}", problem)


@web.middleware
async def input_guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Right after the error middleware: the refusal is JSON, and nothing else runs first."""
    check_path_and_query(request)
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.path not in RAW_BODY_PATHS:
        await check_body(request)
    return await handler(request)
