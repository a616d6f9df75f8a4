"""A WebSocket client of /api/v1/ws that never reads must not delay the others: the reader's
messages still arrive (a liveness bound, not a speed goal) and the silent one's queue stays
bounded (agent_console/live.py: one bounded queue and one writer task per socket)."""
from __future__ import annotations

import asyncio
import base64
import os
import secrets
import socket
import time
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

MAXSIZE = 64
PAD = "x" * 480          # ~0.5 kB a message: a few thousand fill the slow socket's buffers


@pytest_asyncio.fixture(loop_scope="session")
async def console(pg_cluster) -> AsyncIterator[tuple[TestClient, LiveHub, str]]:
    name = f"ivr1022_ws_{secrets.token_hex(4)}"   # its own database: the shared one's agents stay as they are
    await pg_cluster.create_database(name)
    pool = await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=2)
    try:
        await migrate(pool)
        await pool.execute("INSERT INTO agents (ext, name, role, password_hash, sip_password)"
                           " VALUES ('2001', 'supervisor', 'supervisor', 'pbkdf2_sha256$x', 'x')")
        token, _ = await create_session(pool, "2001", 600)
        hub = LiveHub(maxsize=MAXSIZE)
        app = init_app(ConsoleConfig(), lambda: pool, AllUp(), live_feed=hub)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            yield client, hub, token
    finally:
        await pool.close()


async def _silent_socket(host: str, port: int, token: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket handshake by hand, then nothing read: a browser tab that froze."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /api/v1/ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{host}:{port}\r\n"
                  f"Authorization: Bearer {token}\r\n\r\n").encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def test_a_client_that_never_reads_delays_no_one(console):
    client, hub, token = console
    server = client.server
    _, slow_writer = await _silent_socket(server.host, server.port, token)
    base = f"http://{server.host}:{server.port}"
    async with client.session.ws_connect(f"{base}/api/v1/ws", origin=base,
                                         headers={"Authorization": f"Bearer {token}"}) as fast:
        assert (await fast.receive_json(timeout=10))["type"] == "hello"
        while hub.subscribers < 3:          # the two sockets and the console's own ringing follower
            await asyncio.sleep(0.01)

        received: list[dict] = []

        async def read_until_marker() -> float:
            while True:
                message = await fast.receive_json()
                received.append(message)
                if message.get("queue") == "marker":
                    return time.monotonic()

        reading = asyncio.create_task(read_until_marker())
        backlogs = []
        for n in range(12_000):              # ~6 MB: more than the silent socket's buffers hold
            hub.publish({"type": "queue", "queue": "cdc", "waiting": n, "pad": PAD})
            backlogs.append(hub.longest_backlog)
            await asyncio.sleep(0)           # let the writers run, as the AMI reader does between events
        published = time.monotonic()
        hub.publish({"type": "queue", "queue": "marker", "waiting": 0})
        arrived = await asyncio.wait_for(reading, 30)   # liveness: it arrives, whatever the slow one does

        assert arrived - published < 30
        assert len(received) > 1000
        assert max(backlogs) <= MAXSIZE and hub.longest_backlog <= MAXSIZE
        # and the reader is still served
        hub.publish({"type": "queue", "queue": "after", "waiting": 1})
        while (await fast.receive_json(timeout=10))["queue"] != "after":
            pass
        # The silent one really stalled (its writer takes nothing more: its queue is full, the
        # oldest dropped), and it still holds no more than its bound.
        assert hub.subscribers == 3
        assert hub.longest_backlog == MAXSIZE
    slow_writer.close()
