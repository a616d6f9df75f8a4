"""Typed application keys and the per-request principal (who is calling)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
from aiohttp import web

from agent_console.config import ConsoleConfig
from agent_console.ports import AgentControl, Health, LiveListen, PoolProvider, QueueView

CONFIG = web.AppKey("config", ConsoleConfig)
POOL = web.AppKey("pool_provider", PoolProvider)
HEALTH = web.AppKey("health", Health)
AGENT_CONTROL = web.AppKey("agent_control", AgentControl)
QUEUE_VIEW = web.AppKey("queue_view", QueueView)
LIVE_LISTEN = web.AppKey("live_listen", LiveListen)
# One report computed at a time: a report is one PostgreSQL backend at full speed on one core, and
# the calls need the other (agent_console/api/reports.py).
REPORT_SLOT = web.AppKey("report_slot", asyncio.Semaphore)


@dataclass(frozen=True)
class Principal:
    ext: str
    role: str            # agent | supervisor | admin
    token: str

    @property
    def sees_all_calls(self) -> bool:
        return self.role in ("supervisor", "admin")


# web.RequestKey is aiohttp >= 3.12; older versions take a plain string key.
_PRINCIPAL = (web.RequestKey("principal", Principal) if hasattr(web, "RequestKey")  # type: ignore[attr-defined]
              else "ivr1022.principal")


def pool_of(request: web.Request) -> asyncpg.Pool:
    """The database pool; while it does not exist the request fails with 503 (errors.py)."""
    pool = request.app[POOL]()
    if pool is None:
        raise ConnectionError("database pool not ready")
    return pool


def set_principal(request: web.Request, principal: Principal) -> None:
    request[_PRINCIPAL] = principal


def principal_of(request: web.Request) -> Principal:
    """The authenticated caller; the auth middleware guarantees it on protected routes."""
    return request[_PRINCIPAL]
