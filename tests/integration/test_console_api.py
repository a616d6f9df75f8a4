"""The console's HTTP API on a real server (aiohttp TestServer on a free port) against the real database."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from db.calls import upsert_calls
from db.demo import load_demo_data
from db.records import CallRecord, IvrStep

pytestmark = pytest.mark.integration

T0 = datetime(2021, 9, 1, 9, 0, tzinfo=timezone.utc)


class SettableHealth:
    """The Health port with states the test sets (the controller's real one probes Asterisk)."""

    def __init__(self) -> None:
        self.states = {"asterisk": True, "ami": True, "agi": True, "database": True}

    def components(self) -> dict[str, bool]:
        return dict(self.states)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def demo_calls(db_pool: asyncpg.Pool) -> dict[str, str]:
    await load_demo_data(db_pool)
    ids = {"1001": f"api-{uuid.uuid4().hex[:8]}", "1002": f"api-{uuid.uuid4().hex[:8]}"}
    records = [CallRecord(linkedid=lid, started_at=T0 + timedelta(minutes=n), caller_number="0912000111",
                          caller_name="<b>Khách</b>", branch=2, queue="cdc", agent=ext, outcome="answered",
                          wait_s=12.0, talk_s=90.5, ended_at=T0 + timedelta(minutes=n, seconds=100),
                          ivr_path=[IvrStep(T0, "language", "vi"), IvrStep(T0, "key", "2")])
               for n, (ext, lid) in enumerate(ids.items())]
    async with db_pool.acquire() as con:
        await upsert_calls(con, records)
    return ids


@pytest_asyncio.fixture(loop_scope="session")
async def health() -> SettableHealth:
    return SettableHealth()


@pytest_asyncio.fixture(loop_scope="session")
async def client(db_pool: asyncpg.Pool, health: SettableHealth, demo_calls) -> AsyncIterator[TestClient]:
    app = init_app(ConsoleConfig(), lambda: db_pool, health)
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


async def token_for(client: TestClient, ext: str) -> str:
    resp = await client.post("/api/v1/auth/login", json={"username": ext, "password": f"demo{ext}"})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- login ----------------------------------------------------------------------------------

async def test_login_ok_returns_token_role_ext(client):
    resp = await client.post("/api/v1/auth/login", json={"username": "2001", "password": "demo2001"})
    assert resp.status == 200
    body = await resp.json()
    assert body["role"] == "supervisor" and body["ext"] == "2001" and len(body["token"]) >= 40
    assert datetime.fromisoformat(body["expires_at"]) > datetime.now(timezone.utc)


@pytest.mark.parametrize("username,password", [
    ("1001", "wrong"), ("1001", "demo1002"), ("7777", "demo7777"), ("admin' OR 1=1 --", "x"),
])
async def test_login_bad_credentials_is_401(client, username, password):
    resp = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert resp.status == 401
    assert await resp.json() == {"error": "invalid username or password"}


@pytest.mark.parametrize("body", [
    b"{not json", b"[]", b'"1001"', b'{"username": "1001"}', b'{"username": 1001, "password": "demo1001"}',
    b'{"username": "1001", "password": ""}', b"\xff\xfe",
])
async def test_login_malformed_body_is_400(client, body):
    resp = await client.post("/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"})
    assert resp.status == 400
    assert "error" in await resp.json()


async def test_logout_ends_the_session(client):
    token = await token_for(client, "1003")
    assert (await client.post("/api/v1/auth/logout", headers=bearer(token))).status == 200
    resp = await client.get("/api/v1/calls", headers=bearer(token))
    assert resp.status == 401


# -- bearer auth ----------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic MTAwMTpkZW1v"},
                                     {"Authorization": "Bearer not-a-real-token"}])
async def test_api_requires_a_valid_bearer_token(client, headers):
    resp = await client.get("/api/v1/calls", headers=headers)
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error" in await resp.json()


async def test_unknown_api_path_is_json_404(client):
    resp = await client.get("/api/v1/nothing-here", headers=bearer(await token_for(client, "1001")))
    assert resp.status == 404
    assert await resp.json() == {"error": "not found"}


# -- calls ----------------------------------------------------------------------------------

async def test_agent_sees_only_own_calls(client, demo_calls):
    resp = await client.get("/api/v1/calls?limit=500", headers=bearer(await token_for(client, "1001")))
    assert resp.status == 200
    calls = (await resp.json())["calls"]
    ids = {c["linkedid"] for c in calls}
    assert demo_calls["1001"] in ids and demo_calls["1002"] not in ids
    assert {c["agent"] for c in calls} == {"1001"}
    mine = next(c for c in calls if c["linkedid"] == demo_calls["1001"])
    assert mine["caller"] == "0912000111" and mine["caller_name"] == "<b>Khách</b>"
    assert mine["talk_s"] == 90.5 and mine["started_at"].startswith("2021-09-01T09:00:00")


async def test_agent_cannot_ask_for_another_agents_calls(client):
    resp = await client.get("/api/v1/calls?agent=1002", headers=bearer(await token_for(client, "1001")))
    assert resp.status == 403


async def test_supervisor_sees_all_and_can_filter(client, demo_calls):
    headers = bearer(await token_for(client, "2002"))
    ids = {c["linkedid"] for c in (await (await client.get("/api/v1/calls?limit=500", headers=headers)).json())["calls"]}
    assert {demo_calls["1001"], demo_calls["1002"]} <= ids
    resp = await client.get("/api/v1/calls?agent=1002&limit=500", headers=headers)
    assert {c["agent"] for c in (await resp.json())["calls"]} == {"1002"}


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=abc", "limit=-1", "before=yesterday"])
async def test_bad_list_parameters_are_400(client, query):
    resp = await client.get(f"/api/v1/calls?{query}", headers=bearer(await token_for(client, "2001")))
    assert resp.status == 400
    assert "error" in await resp.json()


async def test_paging_with_before(client, demo_calls):
    headers = bearer(await token_for(client, "9001"))
    resp = await client.get("/api/v1/calls?limit=1&before=2021-09-01T09:01:30Z", headers=headers)
    body = await resp.json()
    assert [c["linkedid"] for c in body["calls"]] == [demo_calls["1002"]]
    resp = await client.get("/api/v1/calls", params={"limit": "1", "before": body["next_before"]}, headers=headers)
    assert [c["linkedid"] for c in (await resp.json())["calls"]] == [demo_calls["1001"]]


async def test_call_detail_own_other_unknown(client, demo_calls):
    headers = bearer(await token_for(client, "1001"))
    own = await client.get(f"/api/v1/calls/{demo_calls['1001']}", headers=headers)
    assert own.status == 200
    assert [(s["seq"], s["kind"], s["value"]) for s in (await own.json())["ivr_path"]] == [
        (0, "language", "vi"), (1, "key", "2")]
    other = await client.get(f"/api/v1/calls/{demo_calls['1002']}", headers=headers)
    assert other.status == 403 and "error" in await other.json()
    unknown = await client.get("/api/v1/calls/no-such-linkedid", headers=headers)
    assert unknown.status == 404 and await unknown.json() == {"error": "no such call"}


# -- health, openapi, page --------------------------------------------------------------------

async def test_healthz_all_up(client):
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert await resp.json() == {"status": "up", "components": {
        "asterisk": "up", "ami": "up", "agi": "up", "database": "up"}}


async def test_healthz_503_when_a_component_is_down(client, health):
    health.states["ami"] = False
    resp = await client.get("/healthz")
    assert resp.status == 503
    body = await resp.json()
    assert body["status"] == "degraded" and body["components"]["ami"] == "down"
    assert body["components"]["database"] == "up"


async def test_openapi_lists_every_api_route(client):
    resp = await client.get("/api/v1/openapi.json")
    assert resp.status == 200
    document = json.loads(await resp.text())
    assert document["openapi"].startswith("3.1")
    served = {r.resource.canonical for r in client.app.router.routes()
              if r.resource is not None and (r.resource.canonical.startswith("/api/") or
                                             r.resource.canonical == "/healthz")}
    assert served == set(document["paths"])
    assert {"/api/v1/calls", "/api/v1/calls/{linkedid}", "/api/v1/auth/login", "/healthz"} <= served


async def test_index_page_is_vietnamese_first(client):
    resp = await client.get("/")
    assert resp.status == 200 and resp.content_type == "text/html"
    text = await resp.text()
    assert "<title>Bảng điều khiển 1022</title>" in text and 'lang="vi"' in text


# -- database away ----------------------------------------------------------------------------

async def test_database_down_gives_503_json(make_pg_cluster):
    cluster = await make_pg_cluster()
    pool = await asyncpg.create_pool(cluster.dsn(), min_size=1, max_size=2)
    try:
        app = init_app(ConsoleConfig(), lambda: pool, SettableHealth())
        async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
            await cluster.stop()
            resp = await test_client.post("/api/v1/auth/login", json={"username": "1001", "password": "x"})
            assert resp.status == 503
            assert (await resp.json())["error"].startswith("database unavailable")
            resp = await test_client.get("/api/v1/calls", headers=bearer("whatever"))
            assert resp.status == 503
    finally:
        pool.terminate()


async def test_pool_not_ready_gives_503(db_pool):
    app = init_app(ConsoleConfig(), lambda: None, SettableHealth())
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        resp = await test_client.post("/api/v1/auth/login", json={"username": "1001", "password": "demo1001"})
        assert resp.status == 503
