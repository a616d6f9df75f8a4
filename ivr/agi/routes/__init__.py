"""The FastAGI route table: one module per route, named exactly as the dialplan calls it."""
from __future__ import annotations


import asyncpg

from ivr.agi.routes.agency_transfer import AgencyTransfer
from ivr.agi.routes.callback_request import CallbackRequest
from ivr.agi.routes.caller_lookup import CallerLookup
from ivr.agi.server import Route
from ivr.callbacks.service import CallbackService


def build_routes(pool: asyncpg.Pool, callbacks: CallbackService | None = None) -> dict[str, Route]:
    routes: dict[str, Route] = {
        "caller_lookup": CallerLookup(pool),
        "agency_transfer": AgencyTransfer(pool),
    }
    if callbacks is not None:
        routes["callback_request"] = CallbackRequest(callbacks)
    return routes
