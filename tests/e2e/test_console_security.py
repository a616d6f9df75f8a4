"""Issue 5: the console's access rules — roles (403), the failed sign-in limit (429), CSRF on
cookie-authenticated requests (403) and the WebSocket's Origin check (403)."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import aiohttp
import pytest

from db.calls import upsert_calls
from db.records import CallRecord
from tests.e2e.console_helpers import base_url, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def _cookie_session(controller, ext: str) -> tuple[aiohttp.ClientSession, str]:
    """An HTTP client signed in through the page (cookie jar) and the page's CSRF token."""
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    base = base_url(controller)
    async with session.post(base + "/login", data={"ext": ext, "password": f"demo{ext}"}) as resp:
        assert resp.status == 200 and resp.url.path == "/agent", resp.status
        csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', await resp.text()).group(1)
    return session, csrf


async def test_agent_cannot_reach_supervisor_pages_or_other_agents_calls(controller, calls, new_page):
    linkedid = f"console-{uuid.uuid4().hex[:10]}"
    now = datetime.now(UTC)
    async with calls.pool.acquire() as con:
        await upsert_calls(con, [CallRecord(linkedid=linkedid, started_at=now, caller_number="0987654321",
                                            branch=4, queue="violations", agent="1012", outcome="answered",
                                            answered_at=now, ended_at=now)])
    page = await new_page()
    await sign_in(page, controller, "1014")
    base = base_url(controller)
    response = await page.goto(base + "/supervisor")
    assert response.status == 403
    for path in (f"/api/v1/calls/{linkedid}", "/api/v1/calls?agent=1012", "/api/v1/callers/0987654321/history"):
        response = await page.goto(base + path)
        assert response.status == 403, (path, response.status)
    response = await page.goto(base + "/api/v1/calls?limit=5")
    assert response.status == 200 and all(c["agent"] == "1014" for c in (await response.json())["calls"])

    supervisor = await new_page()
    await supervisor.goto(base + "/login")
    await supervisor.fill("#ext", "2001")
    await supervisor.fill("#password", "demo2001")
    await supervisor.click("#login-submit")
    await supervisor.wait_for_url("**/supervisor")
    await supervisor.wait_for_selector("#agent-rows tr")
    response = await supervisor.goto(base + f"/api/v1/calls/{linkedid}")
    assert response.status == 200 and (await response.json())["agent"] == "1012"
    response = await supervisor.goto(base + "/api/v1/callers/0987654321/history")
    assert response.status == 200 and [c["linkedid"] for c in (await response.json())["calls"]] == [linkedid]


async def test_failed_sign_ins_are_limited(controller):
    base = base_url(controller)
    async with aiohttp.ClientSession() as session:
        for _ in range(5):
            async with session.post(base + "/login", data={"ext": "1015", "password": "wrong"}) as resp:
                assert resp.status == 401 and "Sai số máy lẻ hoặc mật khẩu." in await resp.text()
        async with session.post(base + "/login", data={"ext": "1015", "password": "demo1015"}) as resp:
            text = await resp.text()
            assert resp.status == 429 and 0 < int(resp.headers["Retry-After"]) <= 30, resp.status
            assert "Vui lòng thử lại sau" in text and "Too many failed sign-ins" in text
        async with session.post(base + "/api/v1/auth/login", json={"username": "1015", "password": "demo1015"}) as resp:
            assert resp.status == 429 and "Too many failed sign-ins" in (await resp.json())["error"]
        # Another extension from the same address is not locked out.
        async with session.post(base + "/api/v1/auth/login", json={"username": "1016", "password": "demo1016"}) as resp:
            assert resp.status == 200


async def test_cookie_requests_need_the_csrf_token(controller):
    session, csrf = await _cookie_session(controller, "1016")
    base = base_url(controller)
    async with session:
        async with session.get(base + "/api/v1/calls?limit=1") as resp:
            assert resp.status == 200                      # reading needs no CSRF token
        async with session.post(base + "/api/v1/agents/1016/pause", json={"reason": "ăn ca"}) as resp:
            assert resp.status == 403 and "CSRF" in (await resp.json())["error"]
        async with session.post(base + "/api/v1/agents/1016/pause", json={"reason": "ăn ca"},
                                headers={"X-CSRF-Token": "0" * 64}) as resp:
            assert resp.status == 403
        async with session.post(base + "/api/v1/agents/1016/pause", json={"reason": "ăn ca"},
                                headers={"X-CSRF-Token": csrf}) as resp:
            assert resp.status == 409                      # past CSRF: 1016 is not logged in to queues
        assert controller.agents.state("1016").state == "logged_out"
        async with session.post(base + "/logout", data={}) as resp:
            assert resp.status == 403                      # signing out from another site: refused
        async with session.post(base + "/logout", data={"csrf": csrf}) as resp:
            assert resp.status == 200 and resp.url.path == "/login"
        async with session.get(base + "/api/v1/calls?limit=1") as resp:
            assert resp.status == 401                      # the session is gone


async def test_websocket_checks_origin_and_sends_own_state(controller):
    session, _ = await _cookie_session(controller, "1009")
    base = base_url(controller)
    ws_url = base.replace("http://", "ws://") + "/api/v1/ws"
    async with session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(ws_url, origin="http://evil.example")
        assert refused.value.status == 403
        async with aiohttp.ClientSession() as stranger:
            with pytest.raises(aiohttp.WSServerHandshakeError) as anonymous:
                await stranger.ws_connect(ws_url, origin=base)
            assert anonymous.value.status == 401
        async with session.ws_connect(ws_url, origin=base) as ws:
            hello = await ws.receive_json(timeout=5)
            assert (hello["type"], hello["ext"], hello["role"]) == ("hello", "1009", "agent")
            assert all(a["ext"] == "1009" for a in hello["agents"])
