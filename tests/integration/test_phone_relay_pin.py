"""Issue 15: the phone relay holds a signed-in agent to their own SIP identity, over the real console and Asterisk.

Agent 1002's phone socket carries a REGISTER as 1003-web, even one with a valid digest for 1003 (as if 1002
knew 1003's secret): the relay closes the socket with 1008 and Asterisk never sees it (no contact for
1003-web; the same frame sent straight to Asterisk does register, so it was no dud). 1002's REGISTER as
1002-web gets Asterisk's 401 challenge back through the relay."""
from __future__ import annotations

import hashlib
import logging
import re
import secrets

import aiohttp
import pytest

from ivr.ami.client import AmiActionFailed
from tests.e2e.console_helpers import base_url

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

AGENT, VICTIM = "1002", "1003"


def register(endpoint: str, cseq: int = 1, call_id: str = "", authorization: str = "") -> str:
    """A REGISTER as JsSIP writes it: a .invalid Via host and a made-up Contact user."""
    host = f"{secrets.token_hex(6)}.invalid"
    return (f"REGISTER sip:127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/WS {host};branch=z9hG4bK{secrets.token_hex(8)}\r\n"
            f"Max-Forwards: 69\r\nTo: <sip:{endpoint}@127.0.0.1>\r\n"
            f'From: "{endpoint}" <sip:{endpoint}@127.0.0.1>;tag={secrets.token_hex(5)}\r\n'
            f"Call-ID: {call_id or secrets.token_hex(10)}\r\nCSeq: {cseq} REGISTER\r\n{authorization}"
            f"Contact: <sip:{secrets.token_hex(4)}@{host};transport=ws>;expires=60\r\n"
            "Expires: 60\r\nContent-Length: 0\r\n\r\n")


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def digest(challenge: str, user: str, password: str) -> str:
    """The Authorization header answering Asterisk's MD5 WWW-Authenticate with qop=auth."""
    header = next(line for line in challenge.split("\r\n")
                  if line.lower().startswith("www-authenticate:") and "SHA-256" not in line)
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', header.split(":", 1)[1]))
    cnonce, uri = secrets.token_hex(8), "sip:127.0.0.1"
    ha1, ha2 = md5(f"{user}:{params['realm']}:{password}"), md5(f"REGISTER:{uri}")
    response = md5(f"{ha1}:{params['nonce']}:00000001:{cnonce}:auth:{ha2}")
    opaque = f', opaque="{params["opaque"]}"' if "opaque" in params else ""
    return (f'Authorization: Digest username="{user}", realm="{params["realm"]}", nonce="{params["nonce"]}",'
            f' uri="{uri}", response="{response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="{cnonce}"{opaque}\r\n')


async def contacts_of(controller, aor: str) -> list[str]:
    try:
        contacts = await controller.ami.collect("PJSIPShowContacts")
    except AmiActionFailed:          # "No Contacts found"
        return []
    return [c.get("Uri", "") for c in contacts if c.get("ObjectName", "").split(";@")[0] == aor]


async def sip_reply(ws: aiohttp.ClientWebSocketResponse) -> str:
    message = await ws.receive(timeout=10)
    assert message.type == aiohttp.WSMsgType.TEXT, f"no SIP reply: {message}"
    return message.data


async def phone_socket(http: aiohttp.ClientSession, controller, ext: str) -> aiohttp.ClientWebSocketResponse:
    base = base_url(controller)
    login = await http.post(f"{base}/api/v1/auth/login", json={"username": ext, "password": f"demo{ext}"})
    assert login.status == 200, await login.text()
    headers = {"Authorization": f"Bearer {(await login.json())['token']}", "Origin": base}
    return await http.ws_connect(f"{base}/api/v1/phone/ws", protocols=("sip",), headers=headers)


async def asterisk_socket(http: aiohttp.ClientSession, controller) -> aiohttp.ClientWebSocketResponse:
    return await http.ws_connect(f"ws://127.0.0.1:{controller.settings.asterisk_http_port}/ws", protocols=("sip",))


async def test_a_register_as_another_agents_browser_phone_closes_the_socket_and_never_reaches_asterisk(
        controller, db_pool, caplog):
    victim_secret = await db_pool.fetchval("SELECT sip_password FROM agents WHERE ext = $1", VICTIM)
    assert await contacts_of(controller, f"{VICTIM}-web") == [], "another test left a 1003-web contact"
    async with aiohttp.ClientSession() as http, await asterisk_socket(http, controller) as direct:
        call_id = secrets.token_hex(10)
        await direct.send_str(register(f"{VICTIM}-web", 1, call_id))
        challenge = await sip_reply(direct)
        assert challenge.startswith("SIP/2.0 401")
        forged = register(f"{VICTIM}-web", 2, call_id, digest(challenge, VICTIM, victim_secret))

        with caplog.at_level(logging.WARNING, logger="agent_console.api.phone"):
            async with await phone_socket(http, controller, AGENT) as relay:
                await relay.send_str(forged)
                closing = await relay.receive(timeout=10)
        assert closing.type == aiohttp.WSMsgType.CLOSE and relay.close_code == 1008
        assert closing.extra == "REGISTER: digest username '1003' is not '1002'"
        assert any("refused, not forwarded" in r.getMessage() and "'1003'" in r.getMessage() for r in caplog.records)
        assert await contacts_of(controller, f"{VICTIM}-web") == []

        # The same frame straight to Asterisk registers: what the relay refused would have worked.
        await direct.send_str(forged)
        assert (await sip_reply(direct)).startswith("SIP/2.0 200")
        assert len(await contacts_of(controller, f"{VICTIM}-web")) == 1
    # Asterisk drops a WebSocket contact with its socket; the next tests see no 1003-web phone.


async def test_the_agents_own_register_gets_asterisks_challenge_through_the_relay(controller):
    async with aiohttp.ClientSession() as http, await phone_socket(http, controller, AGENT) as relay:
        await relay.send_str("\r\n\r\n")        # JsSIP's keep-alive first: passed on, the socket stays open
        await relay.send_str(register(f"{AGENT}-web"))
        challenge = await sip_reply(relay)
        assert challenge.startswith("SIP/2.0 401") and 'WWW-Authenticate: Digest' in challenge
        assert not relay.closed


@pytest.mark.parametrize("frame, reason", [
    (b"REGISTER sip:127.0.0.1 SIP/2.0\r\n\r\n", "binary frame"),
    ("hello, Asterisk", "not a SIP request or response"),
    (register(f"{VICTIM}-web"), "From '1003-web' is not '1002-web'"),
    (register(f"{AGENT}-web").replace("To: <sip:1002-web", "t: <sip:1003-web"), "To '1003-web'"),
])
async def test_frames_the_relay_cannot_vouch_for_close_the_socket_with_1008(controller, frame, reason):
    async with aiohttp.ClientSession() as http, await phone_socket(http, controller, AGENT) as relay:
        await (relay.send_bytes(frame) if isinstance(frame, bytes) else relay.send_str(frame))
        closing = await relay.receive(timeout=10)
        assert closing.type == aiohttp.WSMsgType.CLOSE and relay.close_code == 1008
        assert reason in closing.extra
