"""Every error is JSON {"error": "..."} with the right status; database outages become 503.

The domain's refusals (contracts.errors) are answered here, in one table: a handler lets them
through and never maps them itself."""
from __future__ import annotations

import asyncio
import logging

import asyncpg
from aiohttp import web
from aiohttp.typedefs import Handler

from contracts.errors import (
    AgencyNameTaken,
    AgencyRefused,
    AgencyUnknown,
    AgentCommandRefused,
    AgentPhoneOffline,
    AgentUnknown,
    CallUnknown,
    DomainError,
    FollowupRefused,
    FollowupUnknown,
    ListenerPhoneOffline,
    NotYourCall,
    SmsGatewayUnavailable,
    TelephonyUnavailable,
)

log = logging.getLogger(__name__)

# What a request sees while PostgreSQL is away or restarting.
DATABASE_DOWN = (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


# The HTTP status of each domain refusal; the first class that matches wins.
DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (AgentUnknown, 404),
    (CallUnknown, 404),
    (NotYourCall, 403),
    (AgentCommandRefused, 409),
    (ListenerPhoneOffline, 409),
    (FollowupUnknown, 404),
    (FollowupRefused, 409),
    (AgentPhoneOffline, 409),
    (TelephonyUnavailable, 503),
    (AgencyUnknown, 404),
    (AgencyNameTaken, 409),
    (AgencyRefused, 422),
    (SmsGatewayUnavailable, 503),
)


class ApiError(Exception):
    """Raise from a handler (or middleware) to answer {"error": message} with this status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def json_error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return json_error(exc.status, exc.message, exc.headers)
    except DomainError as exc:
        return domain_error(exc)
    except web.HTTPException as exc:
        if exc.status < 400 or not _wants_json(request):
            raise
        return json_error(exc.status, exc.reason.lower(), _allow_header(exc))
    except DATABASE_DOWN as exc:
        log.warning("database unavailable for %s %s: %r", request.method, request.path, exc)
        return json_error(503, "database unavailable, try again shortly", {"Retry-After": "5"})
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(500, "internal error")


def domain_error(exc: DomainError) -> web.Response:
    status = next((code for kind, code in DOMAIN_STATUS if isinstance(exc, kind)), 400)
    message = f"telephony unavailable: {exc}" if isinstance(exc, TelephonyUnavailable) else str(exc)
    return json_error(status, message)


def _wants_json(request: web.Request) -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _allow_header(exc: web.HTTPException) -> dict[str, str] | None:
    allow = exc.headers.get("Allow")
    return {"Allow": allow} if allow else None
