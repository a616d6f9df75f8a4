"""FastAGI server: reads the request headers, runs the route the dialplan named, closes.

Every step is bounded in time: a route that cannot answer in `route_timeout` is abandoned
and the dialplan carries on with its defaults (it checks AGISTATUS after each AGI()).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from ivr.agi.protocol import (MAX_HEADERS, AgiProtocolError, AgiRequest, AgiResult, parse_header_line,
                              parse_result, set_variable_command)

log = logging.getLogger(__name__)


class AgiSession:
    """What a route may do with the call: read the request, set variables."""

    def __init__(self, request: AgiRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.request = request
        self._reader = reader
        self._writer = writer

    async def command(self, line: str) -> AgiResult:
        self._writer.write(line.encode("utf-8"))
        await self._writer.drain()
        answer = await self._reader.readline()
        if not answer:
            raise AgiProtocolError("Asterisk hung up the AGI session")
        return parse_result(answer.decode("utf-8", "replace"))

    async def set_variable(self, name: str, value: str) -> AgiResult:
        return await self.command(set_variable_command(name, value))


Route = Callable[[AgiSession], Awaitable[None]]


class AgiServer:
    def __init__(self, host: str, port: int, routes: Mapping[str, Route], *,
                 header_timeout: float = 2.0, route_timeout: float = 3.0):
        self._address = (host, port)
        self._routes = routes
        self._header_timeout = header_timeout
        self._route_timeout = route_timeout
        self._server: asyncio.Server | None = None
        self.requests = 0
        self.failures = 0

    @property
    def serving(self) -> bool:
        return self._server is not None and self._server.is_serving()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, *self._address)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(read_request(reader), self._header_timeout)
            self.requests += 1
            route = self._routes.get(request.route)
            if route is None:
                raise AgiProtocolError(f"unknown AGI route {request.route!r}")
            await asyncio.wait_for(route(AgiSession(request, reader, writer)), self._route_timeout)
        except (AgiProtocolError, asyncio.TimeoutError, ConnectionError) as exc:
            self.failures += 1
            log.warning("FastAGI request failed: %s", exc or type(exc).__name__)
        except Exception:
            self.failures += 1
            log.exception("FastAGI route crashed")
        finally:
            writer.close()


async def read_request(reader: asyncio.StreamReader) -> AgiRequest:
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS):
        line = await reader.readline()
        if not line:
            raise AgiProtocolError("connection closed before the headers ended")
        if line in (b"\n", b"\r\n"):
            return AgiRequest(headers)
        key, value = parse_header_line(line)
        headers[key] = value
    raise AgiProtocolError("too many AGI headers")
