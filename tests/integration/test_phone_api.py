"""The browser phone's console endpoints on the in-process console (no Asterisk): the credential goes
only to the signed-in person, login refuses an unknown phone with 400, and without Asterisk's WebSocket
both phone endpoints say 503."""
from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from db.demo import load_demo_data
from tests.fixtures.console import AllUp

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def token(client: TestClient, ext: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"username": ext, "password": f"demo{ext}"})
    assert response.status == 200, await response.text()
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


async def test_the_credential_is_the_signed_in_persons_own_and_never_cached(db_pool):
    await load_demo_data(db_pool)
    app = init_app(ConsoleConfig(phone_ws_upstream="ws://127.0.0.1:1/ws"), lambda: db_pool, AllUp())
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        response = await client.get("/api/v1/phone/credential", headers=await token(client, "1002"))
        body = await response.json()
        secret = await db_pool.fetchval("SELECT sip_password FROM agents WHERE ext = '1002'")
        assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
        assert (body["ext"], body["authorization_user"], body["password"]) == ("1002", "1002", secret)
        assert body["uri"] == "sip:1002-web@127.0.0.1" and body["ws_path"] == "/api/v1/phone/ws"
        assert (await client.get("/api/v1/phone/credential")).status == 401


async def test_login_refuses_an_unknown_phone_and_no_websocket_is_503(console_client):
    headers = await token(console_client, "1003")
    response = await console_client.post("/api/v1/agents/1003/login", json={"phone": "fax"}, headers=headers)
    assert response.status == 400 and "phone must be one of" in (await response.json())["error"]
    assert (await console_client.get("/api/v1/phone/credential", headers=headers)).status == 503
