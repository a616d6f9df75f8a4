"""The FastAGI route table: one module per route, named exactly as the dialplan calls it."""
from __future__ import annotations


import asyncpg

from ivr.agi.routes.caller_lookup import CallerLookup
from ivr.agi.server import Route


def build_routes(pool: asyncpg.Pool) -> dict[str, Route]:
    return {
        "caller_lookup": CallerLookup(pool),
    }
