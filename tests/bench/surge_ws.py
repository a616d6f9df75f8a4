"""Event → WebSocket latency for the surge bench: a supervisor's WebSocket on GET /api/v1/ws
records, for every message with `event_at` (the AMI event's Timestamp), receive time − event_at
in ms. Both are this machine's wall clock (time.time())."""
from __future__ import annotations

import asyncio
import contextlib
import json
import time

import aiohttp


class WsLatency:
    def __init__(self, http_port: int, username: str = "2001", password: str = "demo2001") -> None:
        self.base = f"http://127.0.0.1:{http_port}"
        self.username, self.password = username, password
        self.samples_ms: list[float] = []
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        async with self._session.post(f"{self.base}/api/v1/auth/login",
                                      json={"username": self.username, "password": self.password}) as r:
            r.raise_for_status()
            token = (await r.json())["token"]
        self._ws = await self._session.ws_connect(f"{self.base}/api/v1/ws", params={"token": token},
                                                  headers={"Origin": self.base}, heartbeat=20)
        self._task = asyncio.create_task(self._read(), name="bench-ws")

    async def _read(self) -> None:
        assert self._ws is not None
        async for msg in self._ws:
            now = time.time()
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            with contextlib.suppress(ValueError, TypeError):
                at = json.loads(msg.data).get("event_at")
                if isinstance(at, (int, float)):
                    self.samples_ms.append((now - at) * 1000)

    async def stop(self) -> dict:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()
        return stats(self.samples_ms)


def stats(samples: list[float]) -> dict:
    s = sorted(samples)

    def q(p: float) -> float | None:
        return round(s[min(len(s) - 1, int(p * len(s)))], 1) if s else None
    return {"n": len(s), "p50": q(0.5), "p95": q(0.95), "p99": q(0.99), "max": round(s[-1], 1) if s else None}


class WsFanout:
    """`clients` WebSockets on the live feed at once, as 50 consoles would be: the supervisors'
    (2001, 2002: every message) and the agents' (1001…: queue counts and their own states), each
    recording event → receive latency. One sign-in per person; their sockets share its token."""

    def __init__(self, http_port: int, clients: int = 50, agents: int = 10) -> None:
        self.base = f"http://127.0.0.1:{http_port}"
        people = [f"{1001 + n}" for n in range(min(agents, clients))]
        people += ["2001" if n % 2 else "2002" for n in range(clients - len(people))]
        self.people = people
        self.clients: list[WsLatency] = []
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        tokens: dict[str, str] = {}
        for ext in dict.fromkeys(self.people):
            async with self._session.post(f"{self.base}/api/v1/auth/login",
                                          json={"username": ext, "password": f"demo{ext}"}) as r:
                r.raise_for_status()
                tokens[ext] = (await r.json())["token"]
        for ext in self.people:
            client = WsLatency(int(self.base.rsplit(":", 1)[1]), ext, f"demo{ext}")
            client._session = self._session
            client._ws = await self._session.ws_connect(f"{self.base}/api/v1/ws", params={"token": tokens[ext]},
                                                        headers={"Origin": self.base}, heartbeat=20)
            client._task = asyncio.create_task(client._read(), name=f"bench-ws-{ext}")
            self.clients.append(client)

    async def stop(self) -> dict:
        for client in self.clients:
            if client._task is not None:
                client._task.cancel()
                await asyncio.gather(client._task, return_exceptions=True)
            if client._ws is not None:
                await client._ws.close()
        if self._session is not None:
            await self._session.close()
        every = [ms for client in self.clients for ms in client.samples_ms]
        per_client = [stats(client.samples_ms) for client in self.clients]
        supervisors = [s for s, ext in zip(per_client, self.people) if ext.startswith("2")]
        return {**stats(every), "clients": len(self.clients),
                "worst_client_p99": max((s["p99"] for s in per_client if s["p99"] is not None), default=None),
                "fewest_messages_supervisor": min((s["n"] for s in supervisors), default=None),
                "most_messages_supervisor": max((s["n"] for s in supervisors), default=None)}
