"""Sessions expire after 12 hours (docs/api.md, "Authentication"): the bearer token and the page
cookie carry the same server-side session; once 12 hours have passed on the database's clock the
token answers 401 and the cookie leads back to the sign-in page. Time is moved by ageing the
session's row (created_at and expires_at together), as 12 hours of waiting would."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest

from agent_console.web.session import COOKIE
from tests.integration.test_console_api import bearer, client, demo_calls, health, token_for  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

TWELVE_HOURS = timedelta(hours=12)


async def age(db_pool, token: str, by: timedelta) -> tuple[datetime, datetime]:
    """The session of `token` as it will be `by` from now; returns its (created_at, expires_at)."""
    row = await db_pool.fetchrow(
        """UPDATE sessions SET created_at = created_at - $2::interval, expires_at = expires_at - $2::interval
           WHERE token_sha256 = $1 RETURNING created_at, expires_at""",
        hashlib.sha256(token.encode()).digest(), by)
    assert row is not None, "no session row for the token"
    return row["created_at"], row["expires_at"]


async def test_a_bearer_token_works_for_12_hours_then_answers_401(client, db_pool):  # noqa: F811
    resp = await client.post("/api/v1/auth/login", json={"username": "1005", "password": "demo1005"})
    assert resp.status == 200
    body = await resp.json()
    token = body["token"]
    created, expires = await age(db_pool, token, timedelta(0))
    assert expires - created == TWELVE_HOURS and datetime.fromisoformat(body["expires_at"]) == expires

    await age(db_pool, token, TWELVE_HOURS - timedelta(minutes=1))      # 11 h 59 min later
    assert (await client.get("/api/v1/calls", headers=bearer(token))).status == 200
    await age(db_pool, token, timedelta(minutes=2))                     # 12 h 1 min later
    resp = await client.get("/api/v1/calls", headers=bearer(token))
    assert resp.status == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_page_cookie_lasts_12_hours_then_leads_to_sign_in(client, db_pool):  # noqa: F811
    resp = await client.post("/login", data={"ext": "1006", "password": "demo1006"}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/agent"
    morsel = resp.cookies[COOKIE]
    assert int(morsel["max-age"]) == TWELVE_HOURS.total_seconds()
    cookie = {"Cookie": f"{COOKIE}={morsel.value}"}

    await age(db_pool, morsel.value, TWELVE_HOURS - timedelta(minutes=1))
    assert (await client.get("/agent", headers=cookie, allow_redirects=False)).status == 200
    await age(db_pool, morsel.value, timedelta(minutes=2))
    resp = await client.get("/agent", headers=cookie, allow_redirects=False)
    assert resp.status in (302, 303) and resp.headers["Location"].startswith("/login"), resp.status
