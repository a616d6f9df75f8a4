"""A browser that stops reading the live feed is dropped, with a close code, before it costs anyone.

Each socket's messages go through its own bounded queue (a LiveFeed subscription) and its own
writer task. What the kernel cannot hand to the browser waits in the connection's user-space send
buffer (the asyncio transport). `Backpressure` lets that buffer grow to `high_water` without ever
blocking the writer in a send, and the writer checks it before each message: past `limit` bytes
the socket is *stalled*. The handler then stops feeding it (unsubscribes), writes a close frame
with code 1013 ("try again later", RFC 6455 §7.4 / IANA) behind the unsent data, and waits
`grace_s` for the browser's answering close frame; a browser that reads again in that time reads
everything, then the close code, and the console's page reconnects. One that still reads nothing
is reset (its buffers freed). The others never wait: nothing is awaited on the stalled socket's
behalf outside its own tasks.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from dataclasses import dataclass

from aiohttp import web

log = logging.getLogger(__name__)

CLOSE_TOO_SLOW = 1013      # "Try Again Later": the client may reconnect (the console's page does)


@dataclass
class Backpressure:
    limit: int = 256 * 1024         # unsent bytes of one socket past which it is dropped
    high_water: int = 1024 * 1024   # the transport's own pause point: above `limit`, so no send blocks first
    grace_s: float = 5.0            # time the browser has to read up to the close frame and answer it
    dropped: int = 0                # sockets dropped for reading too slowly since start (/metrics)

    def prepare(self, request: web.Request) -> None:
        transport = request.transport
        if transport is not None:
            transport.set_write_buffer_limits(high=self.high_water)

    def unsent(self, request: web.Request) -> int:
        transport = request.transport
        return transport.get_write_buffer_size() if transport is not None else 0

    def stalled(self, request: web.Request) -> bool:
        return self.unsent(request) > self.limit

    async def drop(self, ws: web.WebSocketResponse, request: web.Request, who: str) -> None:
        """Close frame 1013 behind the unsent data; abort if it is still not read after the grace."""
        transport = request.transport
        self.dropped += 1
        log.warning("live feed: %s reads too slowly (%d bytes unsent): closing it with %d",
                    who, self.unsent(request), CLOSE_TOO_SLOW)
        with contextlib.suppress(asyncio.TimeoutError, ConnectionError, RuntimeError):
            await asyncio.wait_for(ws.close(code=CLOSE_TOO_SLOW, message=b"too slow: reconnect",
                                            drain=False), self.grace_s)
        if transport is not None and transport.get_write_buffer_size() > 0:
            _reset(transport)


def _reset(transport: asyncio.BaseTransport) -> None:
    """Abort with a TCP reset (SO_LINGER 0): a plain close would leave the kernel's own send queue
    to a peer that reads nothing, for minutes."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    log.info("live feed: a socket that read nothing more after its close frame was reset")
