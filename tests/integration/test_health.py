"""GET /healthz names the part that is down (docs/operations.md, "Health"): the real HealthMonitor
(ivr/health.py) probing a real Asterisk through a real AMI client, a real FastAGI server and a real
PostgreSQL, each of them stopped in turn, read through the console's own /healthz route."""
from __future__ import annotations

import os
import signal

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from ivr.agi.server import AgiServer
from ivr.ami.client import AmiClient
from ivr.health import HealthMonitor
from tests.ports import free_port
from tests.waiting import until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

ALL_UP = {"asterisk": "up", "ami": "up", "agi": "up", "database": "up"}


async def healthz(client: TestClient) -> tuple[int, dict]:
    resp = await client.get("/healthz")
    return resp.status, await resp.json()


async def shows(client: TestClient, expected: dict[str, str]):
    """The /healthz answer once its components are `expected` (the monitor probes every second)."""
    async def answer():
        status, body = await healthz(client)
        return (status, body) if body["components"] == expected else None
    return await until(answer, 15, f"/healthz to show {expected}")


async def test_healthz_names_asterisk_ami_agi_or_database_when_it_is_down(asterisk_factory, make_pg_cluster):
    pbx = await asterisk_factory()
    cluster = await make_pg_cluster()
    pool = await asyncpg.create_pool(cluster.dsn(), min_size=1, max_size=2)
    o = pbx.options
    # No watchdog ping during the test: a stopped Asterisk keeps its AMI socket open, so the
    # monitor must notice it by CoreStatus going unanswered, not by the AMI connection.
    ami = AmiClient("127.0.0.1", o.ami_port, o.ami_user, o.ami_secret, ping_interval=3600)
    agi = AgiServer("127.0.0.1", free_port(), {})
    monitor = HealthMonitor(pool, ami, agi)
    await ami.start()
    await ami.wait_connected(10)
    await agi.start()
    await monitor.start()
    stopped = False
    try:
        async with TestClient(TestServer(init_app(ConsoleConfig(), lambda: pool, monitor),
                                         host="127.0.0.1")) as client:
            assert await healthz(client) == (200, {"status": "up", "components": ALL_UP})

            os.killpg(pbx.pid, signal.SIGSTOP)          # Asterisk hangs: the AMI socket stays open
            stopped = True
            status, body = await shows(client, {**ALL_UP, "asterisk": "down"})
            assert (status, body["status"]) == (503, "degraded")
            os.killpg(pbx.pid, signal.SIGCONT)
            stopped = False
            await shows(client, ALL_UP)

            await agi.stop()
            assert (await shows(client, {**ALL_UP, "agi": "down"}))[0] == 503
            await agi.start()
            await shows(client, ALL_UP)

            await cluster.stop()
            assert (await shows(client, {**ALL_UP, "database": "down"}))[0] == 503
            await cluster.start()
            await shows(client, ALL_UP)

            pbx.kill()                                   # Asterisk gone: AMI and Asterisk both down
            assert (await shows(client, {**ALL_UP, "asterisk": "down", "ami": "down"}))[0] == 503
    finally:
        if stopped:
            os.killpg(pbx.pid, signal.SIGCONT)
        await monitor.stop()
        await agi.stop()
        await ami.stop()
        pool.terminate()
        await pbx.stop()
