"""The browser phone (WebRTC): its SIP credential, and SIP over WebSocket proxied to Asterisk.

GET /api/v1/phone/credential: the signed-in person's own SIP account for the browser phone (endpoint
<ext>-web, the auth object of <ext>); never anyone else's — there is no extension in the path. Not cached.

GET /api/v1/phone/ws: a WebSocket (subprotocol `sip`) relayed frame by frame to Asterisk's own
WebSocket (res_http_websocket on 127.0.0.1, IVR_ASTERISK_HTTP_PORT), so the browser reaches Asterisk
through the console's origin: one TLS endpoint in production, the session cookie and the Origin check
of the console in front of it. Every frame from the browser is held to the session's own SIP identity
(agent_console/sip_pin.py): a request as anyone else, or a frame that is not SIP, is not forwarded and
closes the browser's socket with 1008 (policy violation). SIP's digest auth then decides as before.
"""
from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web

from agent_console.errors import ApiError
from agent_console.keys import CONFIG, PHONE_PINS, PHONE_SOCKETS, pool_of, principal_of
from agent_console.live import origin_matches_host
from agent_console.sip_frames import MAX_SIP_FRAME
from agent_console.sip_pin import PhonePins, SipIdentityPin
from contracts.phones import browser_endpoint
from db.agents import sip_credential

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

SIP_SUBPROTOCOL = "sip"
# aiohttp's own limit (beyond it aiohttp closes with 1009 itself); frames between MAX_SIP_FRAME and this one
# reach the pin, which refuses them with 1008 like any other frame it cannot vouch for.
MAX_WS_MESSAGE = 4 * MAX_SIP_FRAME
MAX_CLOSE_REASON = 123             # bytes, RFC 6455 §5.5
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
    browser = web.WebSocketResponse(protocols=(SIP_SUBPROTOCOL,), max_msg_size=MAX_WS_MESSAGE, autoping=True)
    await browser.prepare(request)
    request.app[PHONE_SOCKETS].add(browser)
    try:
        async with aiohttp.ClientSession() as session, session.ws_connect(
                upstream, protocols=(SIP_SUBPROTOCOL,), max_msg_size=MAX_WS_MESSAGE, timeout=_WS_TIMEOUT) as asterisk:
            refusal = await _relay(browser, asterisk, request.app[PHONE_PINS].of(principal.ext))
        if refusal is not None:
            await _refuse(request, browser, refusal)
    except (TimeoutError, aiohttp.ClientError) as exc:
        log.warning("phone of %s: Asterisk's WebSocket unreachable: %s", principal.ext, exc)
    finally:
        request.app[PHONE_SOCKETS].discard(browser)
        await browser.close()
    log.info("phone socket of %s closed", principal.ext)
    return browser


async def _relay(browser: web.WebSocketResponse, asterisk: aiohttp.ClientWebSocketResponse,
                 pin: SipIdentityPin) -> str | None:
    """Both directions until either side closes; then the other is closed too. Returns the pin's refusal
    of a browser frame (not forwarded), or None."""
    up = asyncio.create_task(_browser_to_asterisk(browser, asterisk, pin))
    down = asyncio.create_task(_asterisk_to_browser(asterisk, browser, pin))
    done, pending = await asyncio.wait((up, down), return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()
    return up.result() if up in done else None


async def _browser_to_asterisk(browser: web.WebSocketResponse, asterisk: aiohttp.ClientWebSocketResponse,
                               pin: SipIdentityPin) -> str | None:
    async for message in browser:
        if message.type == aiohttp.WSMsgType.TEXT:
            refusal = pin.refusal(message.data)
            if refusal is not None:
                return refusal
            await asterisk.send_str(message.data)
        elif message.type == aiohttp.WSMsgType.BINARY:
            return "malformed SIP: binary frame"
        else:
            if message.type == aiohttp.WSMsgType.ERROR:   # aiohttp has closed it already (1007, 1009)
                log.warning("phone of %s: unreadable frame from the browser: %s", pin.auth_user, message.data)
            break
    return None


async def _asterisk_to_browser(asterisk: aiohttp.ClientWebSocketResponse, browser: web.WebSocketResponse,
                               pin: SipIdentityPin) -> None:
    async for message in asterisk:
        if message.type == aiohttp.WSMsgType.TEXT:
            pin.heard_from_asterisk(message.data)
            await browser.send_str(message.data)
        elif message.type == aiohttp.WSMsgType.BINARY:
            await browser.send_bytes(message.data)
        else:
            break


async def _refuse(request: web.Request, browser: web.WebSocketResponse, refusal: str) -> None:
    log.warning("phone of %s (%s): refused, not forwarded to Asterisk: %s",
                principal_of(request).ext, request.remote, refusal)
    reason = refusal.encode("utf-8")[:MAX_CLOSE_REASON].decode("utf-8", "ignore").encode("utf-8")
    await browser.close(code=aiohttp.WSCloseCode.POLICY_VIOLATION, message=reason)


async def close_phone_sockets(app: web.Application) -> None:
    """on_shutdown: the browsers see their phone go offline at once (they reconnect to the next console)."""
    for socket in list(app[PHONE_SOCKETS]):
        await socket.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"console shutting down")


def setup(app: web.Application) -> None:
    app[PHONE_SOCKETS] = set()
    app[PHONE_PINS] = PhonePins()
    app.router.add_routes(routes)
    app.on_shutdown.append(close_phone_sockets)
