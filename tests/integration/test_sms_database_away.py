"""Issue 14: while PostgreSQL is away the SMS gateway is told to retry (a non-2xx answer) and nothing is
half-written; its retry, once the database is back, makes exactly one ticket and gets the code."""
from __future__ import annotations

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from db.migrate import migrate
from tests.integration.test_console_api import SettableHealth
from tests.waiting import until

pytestmark = pytest.mark.integration


async def test_database_away_means_retry_and_the_retry_makes_one_ticket(make_pg_cluster):
    cluster = await make_pg_cluster()
    pool = await asyncpg.create_pool(cluster.dsn(), min_size=1, max_size=2)
    async with pool.acquire() as con:
        await migrate(con)
    params = {"secret": "s3cret", "gateway": "kannel", "from": "0912345678", "to": "1022",
              "text": "CDC xin lich tiem", "id": "away-1"}
    try:
        app = init_app(ConsoleConfig(sms_secret="s3cret"), lambda: pool, SettableHealth())
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            await cluster.stop()
            resp = await client.get("/api/v1/sms/inbound", params=params)
            assert resp.status == 503 and resp.headers["Retry-After"]
            await cluster.start()

            async def delivered() -> str | None:
                again = await client.get("/api/v1/sms/inbound", params=params)
                return await again.text() if again.status == 200 else None
            reply = await until(delivered, 60, "the retry once PostgreSQL is back")
            assert reply == await (await client.get("/api/v1/sms/inbound", params=params)).text()
        check = await asyncpg.connect(cluster.dsn())
        try:
            rows = await check.fetch("SELECT tracking_code FROM tickets WHERE channel = 'sms'")
            assert len(rows) == 1 and rows[0]["tracking_code"] in reply
            assert await check.fetchval("SELECT count(*) FROM sms_inbound") == 1
            assert await check.fetchval("SELECT count(*) FROM ticket_events") == 1
        finally:
            await check.close()
    finally:
        pool.terminate()
