"""The browser phone (WebRTC): its SIP credential, and SIP over WebSocket proxied to Asterisk.

GET /api/v1/phone/credential: the signed-in person's own SIP account for the browser phone (endpoint
<ext>-web, the auth object of <ext>); never anyone else's — there is no extension in the path. Not cached.

GET /api/v1/phone/ws: a WebSocket (subprotocol `sip`) relayed frame by frame to Asterisk's own
WebSocket (res_http_websocket on 127.0.0.1, IVR_ASTERISK_HTTP_PORT), so the browser reaches Asterisk
through the console's origin: one TLS endpoint in production, the session cookie and the Origin check
of the console in front of it. SIP's digest auth still decides who registers as what.
"""
from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web

from agent_console.errors import ApiError
from agent_console.keys import CONFIG, PHONE_SOCKETS, pool_of, principal_of
from agent_console.live import origin_matches_host
from db.agents import sip_credential
from contracts.phones import browser_endpoint

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

SIP_SUBPROTOCOL = "sip"
MAX_SIP_FRAME = 64 * 1024
# aiohttp >= 3.11 takes a ClientWSTimeout (a float is deprecated there); older ones a float.
_WS_TIMEOUT = aiohttp.ClientWSTimeout(ws_close=10) if hasattr(aiohttp, "ClientWSTimeout") else 10.0


@routes.get("/api/v1/phone/credential", name="phone_credential")
async def credential(request: web.Request) -> web.Response:
    principal = principal_of(request)
    if request.app[CONFIG].phone_ws_upstream is None:
        raise ApiError(503, "the browser phone is not available (Asterisk's WebSocket is not configured)")
    password = await sip_credential(pool_of(request), principal.ext)
    if password is None:
        raise ApiError(404, f"no SIP account for {principal.ext}")
    endpoint = browser_endpoint(principal.ext)
    domain = (request.host or "127.0.0.1").rsplit(":", 1)[0].strip("[]") or "127.0.0.1"
    body = {"ext": principal.ext, "uri": f"sip:{endpoint}@{domain}", "authorization_user": principal.ext,
            "password": password, "display_name": principal.ext, "ws_path": "/api/v1/phone/ws"}
    return web.json_response(body, headers={"Cache-Control": "no-store"})


@routes.get("/api/v1/phone/ws", name="phone_ws")
async def phone_socket(request: web.Request) -> web.WebSocketResponse:
    principal = principal_of(request)
    if not origin_matches_host(request):
        raise web.HTTPForbidden(text="origin not allowed")
    upstream = request.app[CONFIG].phone_ws_upstream
    if upstream is None:
        raise ApiError(503, "the browser phone is not available")
    browser = web.WebSocketResponse(protocols=(SIP_SUBPROTOCOL,), max_msg_size=MAX_SIP_FRAME, autoping=True)
    await browser.prepare(request)
    request.app[PHONE_SOCKETS].add(browser)
    try:
        async with aiohttp.ClientSession() as session, session.ws_connect(
                upstream, protocols=(SIP_SUBPROTOCOL,), max_msg_size=MAX_SIP_FRAME, timeout=_WS_TIMEOUT) as asterisk:
            await _relay(browser, asterisk)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        log.warning("phone of %s: Asterisk's WebSocket unreachable: %s", principal.ext, exc)
    finally:
        request.app[PHONE_SOCKETS].discard(browser)
        await browser.close()
    log.info("phone socket of %s closed", principal.ext)
    return browser


async def _relay(browser: web.WebSocketResponse, asterisk: aiohttp.ClientWebSocketResponse) -> None:
    """Both directions until either side closes; then the other is closed too."""
    up = asyncio.create_task(_pump(browser, asterisk))
    down = asyncio.create_task(_pump(asterisk, browser))
    done, pending = await asyncio.wait((up, down), return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()


async def _pump(source, sink) -> None:
    async for message in source:
        if message.type == aiohttp.WSMsgType.TEXT:
            await sink.send_str(message.data)
        elif message.type == aiohttp.WSMsgType.BINARY:
            await sink.send_bytes(message.data)
        else:
            break


async def close_phone_sockets(app: web.Application) -> None:
    """on_shutdown: the browsers see their phone go offline at once (they reconnect to the next console)."""
    for socket in list(app[PHONE_SOCKETS]):
        await socket.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"console shutting down")


def setup(app: web.Application) -> None:
    app[PHONE_SOCKETS] = set()
    app.router.add_routes(routes)
    app.on_shutdown.append(close_phone_sockets)
