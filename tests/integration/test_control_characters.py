"""Control characters in a path, query or body are a 400 naming where, on every route, never a 500
(agent_console/input_guard.py). The routes are read from the app itself, so a new route is covered."""
from __future__ import annotations

import re

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient
from yarl import URL


pytestmark = pytest.mark.integration

_PARAM = re.compile(r"\{([^}:]+)(?::[^{}]*(?:\{[^}]*\}[^{}]*)*)?\}")


@pytest_asyncio.fixture(loop_scope="session")
async def client(console_client: TestClient) -> TestClient:
    return console_client       # tests/fixtures/console.py


async def admin_headers(client: TestClient) -> dict[str, str]:
    resp = await client.post("/api/v1/auth/login", json={"username": "9001", "password": "demo9001"})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


def served_routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path pattern as registered) of every route but HEAD and static files."""
    found = set()
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        pattern = info.get("formatter") or info.get("path")
        if pattern and route.method not in ("HEAD", "*"):
            found.add((route.method, pattern))
    return sorted(found)


def fill(pattern: str, poisoned: str | None) -> str:
    """The pattern with every parameter "1", and `poisoned` holding a percent-encoded NUL."""
    return _PARAM.sub(lambda m: "a%00b" if m.group(1) == poisoned else "1", pattern)


async def test_the_app_has_the_routes_this_test_walks(client):
    routes = served_routes(client)
    assert ("GET", "/api/v1/calls/{linkedid}") in routes
    assert ("POST", "/api/v1/calls/{linkedid}/wrapup") in routes
    assert ("GET", "/api/v1/callers/{number}/history") in routes
    assert len(routes) >= 30


async def test_a_nul_in_any_path_parameter_or_query_value_is_400_on_every_route(client):
    headers = await admin_headers(client)
    answers: dict[str, tuple[int, str]] = {}
    for method, pattern in served_routes(client):
        targets = [fill(pattern, name) for name in _PARAM.findall(pattern)]
        targets.append(fill(pattern, None) + "?limit=%00&linkedid=x%00y")
        for target in targets:
            resp = await client.request(method, URL(target, encoded=True), headers=headers, json={})
            answers[f"{method} {target}"] = (resp.status, await resp.text())
    wrong = {where: answer for where, answer in answers.items() if answer[0] != 400}
    assert not wrong
    assert all('"error"' in text and "control character U+0000" in text for _, text in answers.values())


@pytest.mark.parametrize("target", ["/api/v1/tickets?linkedid=%00", "/api/v1/calls/a%00b",
                                    "/api/v1/callers/09%00/history", "/api/v1/calls?before=%01"])
async def test_the_reported_routes_name_where_the_character_was(client, target):
    resp = await client.get(URL(target, encoded=True), headers=await admin_headers(client))
    assert resp.status == 400
    message = (await resp.json())["error"]
    assert ("path" in message if "?" not in target else "query parameter" in message) and "U+00" in message


async def test_unauthenticated_requests_are_refused_the_same_way(client):
    resp = await client.get(URL("/api/v1/calls/a%00b", encoded=True))
    assert resp.status == 400


@pytest.mark.parametrize("body, where", [
    ({"outcome": "answered", "notes": "a\x00b"}, "body.notes"),
    ({"outcome": "answered", "notes": "a\x07b"}, "body.notes"),
    ({"tags": ["ok", "x\x00"]}, "body.tags[1]"),
    ({"no\x00te": "x"}, "body key"),
])
async def test_a_control_character_in_a_json_body_is_400_naming_the_field(client, body, where):
    resp = await client.post("/api/v1/calls/x/wrapup", json=body, headers=await admin_headers(client))
    assert resp.status == 400
    assert where in (await resp.json())["error"]


async def test_multi_line_text_keeps_its_newlines_and_tabs(client):
    """Tab, CR and LF pass the guard; the form (tab and LF here)'s own rule decides (404: the call does not exist)."""
    resp = await client.post("/api/v1/calls/no-such-call/wrapup", headers=await admin_headers(client),
                             json={"category": "other", "outcome": "answered", "notes": "line 1\n\tline 2"})
    assert resp.status == 404, await resp.text()


async def test_a_nul_in_the_sign_in_form_is_400_and_not_counted_as_a_failure(client, db_pool):
    resp = await client.post("/login", data={"ext": "10\x0001", "password": "x"})
    assert resp.status == 400
    assert "form field 'ext'" in (await resp.json())["error"]
    assert await db_pool.fetchval("SELECT count(*) FROM sign_in_failures WHERE ext LIKE '10%01'") == 0
