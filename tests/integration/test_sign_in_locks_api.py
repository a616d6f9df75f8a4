"""Admins see the sign-in locks and lift them: GET/DELETE /api/v1/admin/sign-in-locks."""
from __future__ import annotations

import logging
import uuid

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient

from agent_console.keys import LIMITER

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="session")
async def client(console_client: TestClient) -> TestClient:
    return console_client       # tests/fixtures/console.py


async def bearer(client: TestClient, ext: str) -> dict[str, str]:
    resp = await client.post("/api/v1/auth/login", json={"username": ext, "password": f"demo{ext}"})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def test_an_admin_sees_a_locked_account_and_lifts_it(client, db_pool, caplog):
    account, address = f"8{uuid.uuid4().int % 10**5:05d}", "203.0.113.9"
    limiter = client.app[LIMITER]
    for _ in range(limiter.limit):
        await limiter.failed(db_pool, (account, address))
    assert await limiter.blocked(db_pool, (account, address)) > 0
    admin = await bearer(client, "9001")
    resp = await client.get("/api/v1/admin/sign-in-locks", headers=admin)
    assert resp.status == 200
    [lock] = [lock for lock in (await resp.json())["locks"] if lock["key"] == f"account:{account}"]
    assert lock["failures"] == limiter.limit and 0 < lock["retry_after_s"] <= limiter.first_delay_s
    with caplog.at_level(logging.WARNING, logger="agent_console.api.sign_in_locks"):
        resp = await client.delete(f"/api/v1/admin/sign-in-locks/account:{account}", headers=admin)
    assert resp.status == 204
    assert f"lifted by admin 9001: account:{account}" in caplog.text
    assert await limiter.blocked(db_pool, (account, address)) == 0
    resp = await client.get("/api/v1/admin/sign-in-locks", headers=admin)
    assert f"account:{account}" not in {lock["key"] for lock in (await resp.json())["locks"]}


async def test_only_admins_and_well_formed_keys(client):
    supervisor = await bearer(client, "2001")
    assert (await client.get("/api/v1/admin/sign-in-locks", headers=supervisor)).status == 403
    assert (await client.delete("/api/v1/admin/sign-in-locks/account:1001", headers=supervisor)).status == 403
    admin = await bearer(client, "9001")
    resp = await client.delete("/api/v1/admin/sign-in-locks/nonsense", headers=admin)
    assert resp.status == 400 and "account:" in (await resp.json())["error"]
