"""Every typed application key of the console, and the per-request principal (who is calling).

What init_app stores on the app is listed here and nowhere else: the settings, what the host
process hands over (contracts.ports), and the console's own app-wide objects.
"""
from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass

import asyncpg
from aiohttp import web

from agent_console.config import ConsoleConfig
from agent_console.live_backpressure import Backpressure
from agent_console.ringing import RingingCalls
from agent_console.sip_pin import PhonePins
from agent_console.web.sign_in_limit import LoginLimiter
from contracts.ports import (AgentControl, ControllerFigures, FollowupDialer, Health, LiveCalls, LiveFeed, LiveListen,
                             PoolProvider, QueueView, RecordingStore, SipBans, SmsSender, SurgeMirror)

# -- settings and what the host process hands over (ivr/app.py) --------------------------------
CONFIG = web.AppKey("config", ConsoleConfig)
POOL = web.AppKey("pool_provider", PoolProvider)
HEALTH = web.AppKey("health", Health)
AGENT_CONTROL = web.AppKey("agent_control", AgentControl)
QUEUE_VIEW = web.AppKey("queue_view", QueueView)
LIVE_LISTEN = web.AppKey("live_listen", LiveListen)
LIVE_FEED = web.AppKey("live_feed", LiveFeed)
LIVE_CALLS = web.AppKey("live_calls", LiveCalls)
RECORDING_STORE = web.AppKey("recording_store", RecordingStore)
CONTROLLER_FIGURES = web.AppKey("controller_figures", ControllerFigures)
FOLLOWUP_DIALER = web.AppKey("followup_dialer", FollowupDialer)
SURGE_MIRROR = web.AppKey("surge_mirror", SurgeMirror)
SMS_SENDER = web.AppKey("sms_sender", SmsSender)
SIP_BANS = web.AppKey("sip_bans", SipBans)

# -- the console's own -------------------------------------------------------------------------
# One report computed at a time: a report is one PostgreSQL backend at full speed on one core, and
# the calls need the other (agent_console/api/reports.py).
REPORT_SLOT = web.AppKey("report_slot", asyncio.Semaphore)
LIMITER = web.AppKey("login_limiter", LoginLimiter)
RINGING = web.AppKey("live_ringing", RingingCalls)
SOCKETS = web.AppKey("live_sockets", weakref.WeakSet)
BACKPRESSURE = web.AppKey("live_backpressure", Backpressure)   # when a socket that reads nothing is dropped
PHONE_SOCKETS = web.AppKey("phone_sockets", set)      # browsers' SIP WebSockets (agent_console/api/phone.py)
PHONE_PINS = web.AppKey("phone_pins", PhonePins)       # the SIP identity each person's sockets may use


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
