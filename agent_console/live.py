"""GET /api/v1/ws: live updates to the browser, and the console's memory of who is ringing.

Each WebSocket has its own bounded send queue (a LiveFeed subscription: when the browser is
slow the oldest messages are dropped, never the others' or the newest) and its own writer
task; a browser that stops reading altogether is closed with code 1013 once its unsent bytes
pass a bound (agent_console/live_backpressure.py). Agents receive their own agent/ringing messages and every queue count; supervisors and
admins everything. The Origin header must name the Host (403 otherwise): cookies ride along
on cross-site WebSocket handshakes, so this is the WebSocket's CSRF check.

`RingingCalls` (agent_console/ringing.py) is one app-level subscriber that remembers each agent's
latest ringing message, so the caller-history API can tell which caller an agent is talking to.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from agent_console.keys import (AGENT_CONTROL, BACKPRESSURE, LIVE_FEED, RINGING, SOCKETS, Principal,
                                principal_of)
from agent_console.live_backpressure import Backpressure
from agent_console.ringing import RingingCalls
from contracts.ports import LiveFeed

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

def setup(app: web.Application, feed: LiveFeed | None) -> None:
    app[RINGING] = RingingCalls()
    app[SOCKETS] = weakref.WeakSet()
    app[BACKPRESSURE] = Backpressure()
    app.router.add_routes(routes)
    if feed is None:
        return
    app[LIVE_FEED] = feed
    app.cleanup_ctx.append(_follow_calls)
    app.on_shutdown.append(_close_sockets)


async def _follow_calls(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[RINGING].follow(app[LIVE_FEED]), name="console-live-calls")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _close_sockets(app: web.Application) -> None:
    for ws in list(app[SOCKETS]):
        await ws.close(code=1001, message=b"server shutdown")


def origin_matches_host(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if not origin:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()


def for_principal(principal: Principal, message: Mapping[str, Any]) -> bool:
    if principal.sees_all_calls or message.get("type") == "queue":
        return True
    return message.get("ext") == principal.ext


@routes.get("/api/v1/ws", name="live_ws")
async def live_ws(request: web.Request) -> web.WebSocketResponse:
    if not origin_matches_host(request):
        raise web.HTTPForbidden(text="origin not allowed")
    feed = request.app.get(LIVE_FEED)
    if feed is None:
        raise web.HTTPServiceUnavailable(text="live feed not available")
    principal = principal_of(request)
    backpressure = request.app[BACKPRESSURE]
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=4096)
    await ws.prepare(request)
    backpressure.prepare(request)
    request.app[SOCKETS].add(ws)
    queue = feed.subscribe()
    writer = asyncio.create_task(_write(ws, queue, principal, request), name=f"ws-writer-{principal.ext}")
    reader = asyncio.create_task(_read(ws), name=f"ws-reader-{principal.ext}")
    try:
        await ws.send_json({"type": "hello", "ext": principal.ext, "role": principal.role,
                            "agents": _snapshot(request, principal)})
        await asyncio.wait((writer, reader), return_when=asyncio.FIRST_COMPLETED)
        if writer.done() and not writer.cancelled() and writer.result() == STALLED:
            feed.unsubscribe(queue)        # feed it no more while it is being closed
            reader.cancel()                # close() itself reads the browser's answer (a reader
            await asyncio.gather(reader, return_exceptions=True)   # waiting would cut it short)
            await backpressure.drop(ws, request, f"the socket of {principal.ext}")
    finally:
        feed.unsubscribe(queue)
        for task in (writer, reader):
            task.cancel()
        await asyncio.gather(writer, reader, return_exceptions=True)
    return ws


STALLED = "stalled"


async def _read(ws: web.WebSocketResponse) -> None:
    """The browser sends nothing we need; reading lets aiohttp see pings, pongs and the close."""
    async for message in ws:
        if message.type == WSMsgType.ERROR:
            break


async def _write(ws: web.WebSocketResponse, queue: asyncio.Queue[Mapping[str, Any]], principal: Principal,
                 request: web.Request) -> str | None:
    """Sends this socket's messages; STALLED once the browser has left too much unread."""
    backpressure = request.app[BACKPRESSURE]
    try:
        while not ws.closed:
            message = await queue.get()
            if backpressure.stalled(request):
                return STALLED
            if for_principal(principal, message):
                await ws.send_json(dict(message))
    except (ConnectionError, RuntimeError) as exc:   # the browser went away mid-send
        log.debug("websocket of %s closed while sending: %r", principal.ext, exc)
    return None


def _snapshot(request: web.Request, principal: Principal) -> list[dict[str, Any]]:
    control = request.app.get(AGENT_CONTROL)
    rows = []
    for state in control.snapshot() if control is not None else []:
        if principal.sees_all_calls or state.get("ext") == principal.ext:
            since = state.get("since")
            rows.append({**state, "since": since.isoformat() if hasattr(since, "isoformat") else since})
    return rows
