"""Login/logout and the bearer-token middleware.

Tokens are opaque random strings (db/sessions.py keeps their SHA-256 and expiry), not signed
tokens: logout and deactivating an agent take effect at once, and no signing secret exists.
"""
from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from agent_console.errors import ApiError
from agent_console.keys import CONFIG, Principal, pool_of, principal_of, set_principal
from db.agents import check_credentials, get_login
from db.sessions import create_session, delete_session, get_session

routes = web.RouteTableDef()

# Reachable without a token: the login itself and the API description.
PUBLIC_API_PATHS = frozenset({"/api/v1/auth/login", "/api/v1/openapi.json"})
_USERNAME = re.compile(r"^[0-9]{3,6}$")
_BAD_CREDENTIALS = "invalid username or password"


@routes.post("/api/v1/auth/login", name="login")
async def login(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    username, password = await _credentials(request, config.max_password_chars)
    pool = pool_of(request)
    account = await get_login(pool, username) if _USERNAME.match(username) else None
    stored = account["password_hash"] if account else None
    # PBKDF2 is ~0.3 s of CPU: never on the event loop.
    valid = await asyncio.to_thread(check_credentials, stored, password)
    if not valid or account is None or not account["active"]:
        raise ApiError(401, _BAD_CREDENTIALS)
    token, expires_at = await create_session(pool, account["ext"], config.session_ttl_s)
    return web.json_response({"token": token, "token_type": "Bearer", "role": account["role"],
                              "ext": account["ext"], "expires_at": expires_at.isoformat()})


@routes.post("/api/v1/auth/logout", name="logout")
async def logout(request: web.Request) -> web.Response:
    await delete_session(pool_of(request), principal_of(request).token)
    return web.json_response({"status": "logged out"})


async def _credentials(request: web.Request, max_password_chars: int) -> tuple[str, str]:
    try:
        body: Any = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "body must be JSON: {\"username\": \"1001\", \"password\": \"...\"}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object with username and password")
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise ApiError(400, "username and password must be non-empty strings")
    if len(password) > max_password_chars or len(username) > 64:
        raise ApiError(400, "username or password too long")
    return username, password


@web.middleware
async def bearer_auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every /api/ path except PUBLIC_API_PATHS needs `Authorization: Bearer <token>`."""
    if not request.path.startswith("/api/") or request.path in PUBLIC_API_PATHS:
        return await handler(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    challenge = {"WWW-Authenticate": 'Bearer realm="1022"'}
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "authentication required: send Authorization: Bearer <token>", challenge)
    if len(token) > 256:
        raise ApiError(401, "invalid or expired token", challenge)
    session = await get_session(pool_of(request), token)
    if session is None:
        raise ApiError(401, "invalid or expired token", challenge)
    set_principal(request, Principal(ext=session.ext, role=session.role, token=token))
    return await handler(request)
