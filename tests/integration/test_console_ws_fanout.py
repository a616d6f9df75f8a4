"""Fifty consoles on the live feed at once (issue 18): every supervisor's socket receives every
message, in order; every agent's socket every queue count and its own agent state, none of the
others'. The bench measures the fan-out's latency (`make bench`, fanout); this checks delivery."""
from __future__ import annotations

import asyncio
import secrets
from typing import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from db.migrate import migrate
from db.sessions import create_session
from ivr.acd.live import LiveHub
from tests.fixtures.console import AllUp

pytestmark = pytest.mark.integration

AGENTS = [f"{1001 + n}" for n in range(10)]
SUPERVISOR_SOCKETS = 40           # two supervisors, twenty tabs and wallboards each
ROUNDS = 20                       # each round: a queue count and one state per agent (30 messages)


@pytest_asyncio.fixture(loop_scope="session")
async def console(pg_cluster) -> AsyncIterator[tuple[TestClient, LiveHub, asyncpg.Pool]]:
    name = f"ivr1022_fanout_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    pool = await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=4)
    try:
        await migrate(pool)
        people = [(ext, "agent") for ext in AGENTS] + [("2001", "supervisor"), ("2002", "supervisor")]
        await pool.executemany("INSERT INTO agents (ext, name, role, password_hash, sip_password)"
                               " VALUES ($1, $1, $2, 'pbkdf2_sha256$x', 'x')", people)
        hub = LiveHub(maxsize=1024)   # above the test's 600 messages: a loss here would be the fan-out's
        app = init_app(ConsoleConfig(), lambda: pool, AllUp(), live_feed=hub)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            yield client, hub, pool
    finally:
        await pool.close()


def _messages() -> list[dict]:
    out: list[dict] = []
    for n in range(ROUNDS):
        out.append({"type": "queue", "queue": "cdc", "waiting": n})
        out += [{"type": "agent", "ext": ext, "state": "ready" if n % 2 else "on_call", "round": n}
                for ext in AGENTS]
    return out


async def test_fifty_sockets_each_receive_every_message_they_may_see(console):
    client, hub, pool = console
    base = f"http://{client.server.host}:{client.server.port}"
    owners = AGENTS + ["2001" if n % 2 else "2002" for n in range(SUPERVISOR_SOCKETS)]
    sockets = []
    for ext in owners:
        token, _ = await create_session(pool, ext, 600)
        ws = await client.session.ws_connect(f"{base}/api/v1/ws", origin=base,
                                             headers={"Authorization": f"Bearer {token}"})
        assert (await ws.receive_json(timeout=30))["type"] == "hello"
        sockets.append((ext, ws))
    assert len(sockets) == 50
    while hub.subscribers < 51:            # the fifty and the console's ringing follower
        await asyncio.sleep(0.01)

    sent = _messages()
    for message in sent:
        hub.publish(message)
        await asyncio.sleep(0)              # as the AMI reader does between events

    async def collect(ext: str, ws, want: int) -> list[dict]:
        got = []
        while len(got) < want:
            got.append(await ws.receive_json(timeout=30))
        return got

    def visible(ext: str) -> list[dict]:
        if not ext.startswith("1"):
            return sent
        return [m for m in sent if m["type"] == "queue" or m["ext"] == ext]

    received = await asyncio.gather(*(collect(ext, ws, len(visible(ext))) for ext, ws in sockets))
    for (ext, _), got in zip(sockets, received):
        assert got == visible(ext), ext
    # and nothing more is pending for an agent: a marker is the next thing each socket reads
    hub.publish({"type": "queue", "queue": "marker", "waiting": 0})
    for ext, ws in sockets:
        assert (await ws.receive_json(timeout=30))["queue"] == "marker", ext
    for _, ws in sockets:
        await ws.close()
