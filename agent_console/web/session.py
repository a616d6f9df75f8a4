"""Cookie sessions, CSRF and the failed sign-in limit; one auth middleware for page and API.

The cookie holds the same opaque token as a bearer session (db/sessions.py), so logout and a
deactivated agent take effect at once for both. The CSRF token is derived from the session
token (SHA-256 of a label and the token): the page gets it in a <meta> tag and sends it as
`X-CSRF-Token` (or a `csrf` form field); a third-party site can read neither. Requests with
`Authorization: Bearer` carry no ambient credential and need no CSRF token.
"""
from __future__ import annotations

import hashlib
import hmac

from aiohttp import web
from aiohttp.typedefs import Handler

from agent_console.errors import ApiError
from agent_console.keys import LIMITER, Principal, pool_of, set_principal
from db.sessions import get_session

COOKIE = "ivr1022_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_API_PATHS = frozenset({"/api/v1/auth/login", "/api/v1/openapi.json"})
PUBLIC_API_PREFIX = "/api/v1/public/"      # the citizen portal's API: no sign-in (agent_console/api/portal.py)
GATEWAY_API_PREFIX = "/api/v1/sms/"        # the SMS gateway's callbacks: its own secret (agent_console/api/sms.py)
LOGIN_PATHS = frozenset({"/login", "/api/v1/auth/login"})
TOO_MANY = ("Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau {seconds} giây. / "
            "Too many failed sign-ins. Please try again in {seconds} seconds.")


def csrf_token(session_token: str) -> str:
    return hashlib.sha256(b"ivr1022-csrf:" + session_token.encode("utf-8", "surrogatepass")).hexdigest()


def csrf_ok(session_token: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(session_token), given or "")


def set_session_cookie(response: web.StreamResponse, token: str, max_age: int) -> None:
    response.set_cookie(COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="Strict")


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")




async def login_key(request: web.Request) -> tuple[str, str]:
    """(ext, client address) of a sign-in attempt; the body stays readable for the handler."""
    ext = ""
    if request.content_type == "application/json":
        try:
            body = await request.json()
            ext = str(body.get("username", "")) if isinstance(body, dict) else ""
        except ValueError:
            ext = ""
    else:
        ext = str((await request.post()).get("ext", ""))
    return ext[:64], request.remote or ""


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """API: Bearer header, or the session cookie (+ CSRF on unsafe methods). Sign-ins: the limit."""
    if request.method == "POST" and request.path in LOGIN_PATHS:
        return await _limited_login(request, handler)
    if (not request.path.startswith("/api/") or request.path in PUBLIC_API_PATHS
            or request.path.startswith(PUBLIC_API_PREFIX) or request.path.startswith(GATEWAY_API_PREFIX)):
        return await handler(request)
    challenge = {"WWW-Authenticate": 'Bearer realm="1022"'}
    scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and bearer.strip():
        token, needs_csrf = bearer.strip(), False
    elif request.cookies.get(COOKIE):
        token, needs_csrf = request.cookies[COOKIE], request.method not in SAFE_METHODS
    elif request.path == "/api/v1/ws" and request.query.get("token"):
        token, needs_csrf = request.query["token"], False
    else:
        raise ApiError(401, "authentication required: send Authorization: Bearer <token>", challenge)
    session = await get_session(pool_of(request), token) if len(token) <= 256 else None
    if session is None:
        raise ApiError(401, "invalid or expired token", challenge)
    if needs_csrf and not csrf_ok(token, request.headers.get(CSRF_HEADER)):
        raise ApiError(403, "missing or wrong X-CSRF-Token for a cookie-authenticated request")
    set_principal(request, Principal(ext=session.ext, role=session.role, token=token))
    return await handler(request)


async def _limited_login(request: web.Request, handler: Handler) -> web.StreamResponse:
    limiter, pool = request.app[LIMITER], pool_of(request)
    key = await login_key(request)
    wait_s = await limiter.blocked(pool, key)
    if wait_s:
        message, retry = TOO_MANY.format(seconds=wait_s), {"Retry-After": str(wait_s)}
        if request.path.startswith("/api/"):
            raise ApiError(429, message, retry)
        raise web.HTTPTooManyRequests(text=message, headers=retry)
    try:
        response = await handler(request)
    except ApiError as exc:
        if exc.status == 401:
            await limiter.failed(pool, key)
        raise
    if response.status == 401:
        await limiter.failed(pool, key)
    elif response.status < 400:
        await limiter.succeeded(pool, key)
    return response


async def page_session(request: web.Request) -> Principal | None:
    """The signed-in person of a page request (cookie), or None."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 256:
        return None
    session = await get_session(pool_of(request), token)
    return None if session is None else Principal(ext=session.ext, role=session.role, token=token)
