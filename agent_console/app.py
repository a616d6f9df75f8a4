"""init_app: the console's one aiohttp application factory (no module-level mutable state).

The composition root (ivr/app.py) calls it with the console settings, a provider of the
process's asyncpg pool and a Health implementation, then runs it on 127.0.0.1:IVR_HTTP_PORT.
"""
from __future__ import annotations

from aiohttp import web

from agent_console import openapi, pages
from agent_console.api import auth, calls
from agent_console.api import health as health_api
from agent_console.config import ConsoleConfig
from agent_console.errors import error_middleware
from agent_console.keys import CONFIG, HEALTH, POOL
from agent_console.ports import Health, PoolProvider

MAX_BODY_BYTES = 64 * 1024


def init_app(config: ConsoleConfig, pool_provider: PoolProvider, health: Health) -> web.Application:
    # error_middleware is outermost, so errors raised by the auth middleware become JSON too.
    app = web.Application(middlewares=[error_middleware, auth.bearer_auth_middleware],
                          client_max_size=MAX_BODY_BYTES)
    app[CONFIG] = config
    app[POOL] = pool_provider
    app[HEALTH] = health
    for table in (health_api.routes, auth.routes, calls.routes, openapi.routes, pages.routes):
        app.router.add_routes(table)
    return app
