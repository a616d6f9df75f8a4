"""init_app: the console's one aiohttp application factory (no module-level mutable state).

The composition root (ivr/app.py) calls it with the console settings, a provider of the
process's asyncpg pool, a Health implementation and the other contracts.ports it has, then runs
it on 127.0.0.1:IVR_HTTP_PORT. Every key it stores is declared in agent_console/keys.py.
"""
from __future__ import annotations

import asyncio

from aiohttp import web

from agent_console import live, openapi
from agent_console.api import (agencies, agents, auth, callbacks, callers, calls, listen, phone, portal, reports,
                               sign_in_locks, sms, tickets, written, wrapups)
from agent_console.api import followups as followups_api
from agent_console.api import surge as surge_api
from agent_console.api import health as health_api
from agent_console.api import metrics as metrics_api
from agent_console.api import recordings as recordings_api
from agent_console.api import wallboard
from agent_console.api import sip_bans as sip_bans_api
from agent_console.config import ConsoleConfig
from agent_console.errors import error_middleware
from agent_console.input_guard import input_guard_middleware
from agent_console.keys import (AGENT_CONTROL, CONFIG, CONTROLLER_FIGURES, FOLLOWUP_DIALER, HEALTH, LIMITER,
                                LIVE_CALLS, LIVE_LISTEN, POOL, QUEUE_VIEW, REPORT_SLOT, SIP_BANS, SMS_SENDER,
                                SURGE_MIRROR)
from agent_console.web import pages
from agent_console.web.session import auth_middleware
from agent_console.web.sign_in_limit import LoginLimiter
from contracts.ports import (AgentControl, ControllerFigures, FollowupDialer, Health, LiveCalls, LiveFeed, LiveListen,
                             PoolProvider, QueueView, RecordingStore, SipBans, SmsSender, SurgeMirror)

MAX_BODY_BYTES = 64 * 1024


def init_app(config: ConsoleConfig, pool_provider: PoolProvider, health: Health, *,
             agent_control: AgentControl | None = None, queue_view: QueueView | None = None,
             live_feed: LiveFeed | None = None, live_listen: LiveListen | None = None,
             recording_store: RecordingStore | None = None,
             controller_figures: ControllerFigures | None = None,
             live_calls: LiveCalls | None = None,
             followup_dialer: FollowupDialer | None = None,
             surge_mirror: SurgeMirror | None = None, sms_sender: SmsSender | None = None,
             sip_bans: SipBans | None = None) -> web.Application:
    """Without agent_control / queue_view / live_listen the routes that need them answer 503."""
    # error_middleware is outermost, so errors raised by the other middlewares become JSON too;
    # input_guard refuses control characters before the session lookup or any handler sees them.
    app = web.Application(middlewares=[error_middleware, input_guard_middleware, auth_middleware],
                          client_max_size=MAX_BODY_BYTES)
    app[CONFIG] = config
    app[POOL] = pool_provider
    app[HEALTH] = health
    app[LIMITER] = LoginLimiter()
    app[REPORT_SLOT] = asyncio.Semaphore(1)
    # The ports the composition root has; a route whose port is missing answers 503.
    for key, port in ((AGENT_CONTROL, agent_control), (QUEUE_VIEW, queue_view), (LIVE_LISTEN, live_listen),
                      (CONTROLLER_FIGURES, controller_figures), (LIVE_CALLS, live_calls),
                      (FOLLOWUP_DIALER, followup_dialer), (SURGE_MIRROR, surge_mirror), (SMS_SENDER, sms_sender),
                      (SIP_BANS, sip_bans)):
        if port is not None:
            app[key] = port
    for table in (health_api.routes, metrics_api.routes, auth.routes, calls.routes, agents.routes, wrapups.routes, openapi.routes,
                  callers.routes, reports.routes, tickets.routes, wallboard.routes, listen.routes,
                  sign_in_locks.routes, sip_bans_api.routes, portal.routes, written.routes, agencies.routes, sms.routes,
                  callbacks.routes, pages.routes):
        app.router.add_routes(table)
    for table in (followups_api.routes, surge_api.routes):     # the worklist and the surge switch (issue 13)
        app.router.add_routes(table)
    live.setup(app, live_feed)
    phone.setup(app)
    recordings_api.setup(app, recording_store)
    pages.setup(app)
    return app
