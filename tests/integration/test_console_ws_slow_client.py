"""A WebSocket client of /api/v1/ws that never reads must not delay the others: the reader's
messages still arrive (a liveness bound, not a speed goal), the silent one's queue stays
bounded (agent_console/live.py: one bounded queue and one writer task per socket), and once its
unsent bytes pass the bound it is dropped with close code 1013 (agent_console/live_backpressure.py),
which it reads behind the rest when it reads again within the grace."""
from __future__ import annotations

import asyncio
import base64
import errno
import os
import secrets
import socket
import struct
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
from agent_console.keys import BACKPRESSURE
from agent_console.live_backpressure import CLOSE_TOO_SLOW
from ivr.acd.live import LiveHub
from tests.fixtures.console import AllUp
from tests.waiting import until

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
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)   # a small window: the server's buffer fills
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


async def _close_code(reader: asyncio.StreamReader) -> tuple[int, int]:
    """Reads server frames (unmasked) until the close frame: (text frames before it, close code)."""
    texts = 0
    while True:
        head = await reader.readexactly(2)
        opcode, length = head[0] & 0x0F, head[1] & 0x7F
        if length == 126:
            length = struct.unpack("!H", await reader.readexactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", await reader.readexactly(8))[0]
        payload = await reader.readexactly(length)
        if opcode == 0x8:
            return texts, struct.unpack("!H", payload[:2])[0]
        texts += opcode == 0x1


async def _dropped_on_metrics(session, base: str) -> float:
    async with session.get(f"{base}/metrics") as resp:
        assert resp.status == 200
        lines = [line for line in (await resp.text()).splitlines()
                 if line.startswith("ivr_live_clients_dropped_total ")]
    assert len(lines) == 1, lines
    return float(lines[0].split()[1])


async def test_a_client_that_never_reads_delays_no_one_and_is_dropped(console):
    client, hub, token = console
    server = client.server
    slow_reader, slow_writer = await _silent_socket(server.host, server.port, token)
    base = f"http://{server.host}:{server.port}"
    dropped_before = await _dropped_on_metrics(client.session, base)
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
        backlogs, published = [], 0
        while hub.subscribers == 3 and published < 40_000:   # ~20 MB at most: until the silent one is dropped
            hub.publish({"type": "queue", "queue": "cdc", "waiting": published, "pad": PAD})
            published += 1
            backlogs.append(hub.longest_backlog)
            await asyncio.sleep(0)           # let the writers run, as the AMI reader does between events
        dropped_after = published
        # Dropped: it is fed no more (the reader and the ringing follower stay).
        assert hub.subscribers == 2, f"the silent socket was not dropped after {published} messages"
        # It reads again, within the grace: everything sent to it, then the close frame with its code.
        texts, code = await asyncio.wait_for(_close_code(slow_reader), 30)
        assert code == CLOSE_TOO_SLOW
        assert 1000 < texts <= dropped_after + 1          # the hello and what it was sent before the bound
        assert await _dropped_on_metrics(client.session, base) == dropped_before + 1     # an operator sees it

        marked = time.monotonic()
        hub.publish({"type": "queue", "queue": "marker", "waiting": 0})
        arrived = await asyncio.wait_for(reading, 30)   # liveness: it arrives, whatever the slow one did
        assert arrived - marked < 30
        assert len(received) > 1000
        assert max(backlogs) <= MAXSIZE and hub.longest_backlog <= MAXSIZE
        # and the reader is still served, and still subscribed
        hub.publish({"type": "queue", "queue": "after", "waiting": 1})
        while (await fast.receive_json(timeout=10))["queue"] != "after":
            pass
        assert hub.subscribers == 2
    slow_writer.close()


async def test_a_client_that_never_reads_again_is_cut_off_after_the_grace(console):
    """Dropped, and still reading nothing: after the grace its connection is aborted (a reset: the
    unsent bytes are freed), so a frozen tab holds no server memory."""
    client, hub, token = console
    server = client.server
    _, slow_writer = await _silent_socket(server.host, server.port, token)
    sock = slow_writer.get_extra_info("socket")
    while hub.subscribers < 2:
        await asyncio.sleep(0.01)
    published = 0
    while hub.subscribers == 2 and published < 40_000:
        hub.publish({"type": "queue", "queue": "cdc", "waiting": published, "pad": PAD})
        published += 1
        await asyncio.sleep(0)
    dropped = time.monotonic()
    assert hub.subscribers == 1, f"the silent socket was not dropped after {published} messages"
    grace = server.app[BACKPRESSURE].grace_s
    # its stream stopped reading long ago (4 kB limit), so the reset waits for us in SO_ERROR
    await until(lambda: sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNRESET,
                timeout=grace + 30, what="the server to reset the silent socket")
    assert time.monotonic() - dropped >= grace * 0.9     # not before the browser had its grace
    slow_writer.close()
