"""Component health for /healthz: each part up or down, probed off the request path.

It is handed the three things it reads — the database pool, the AMI client (connected, and
Asterisk answering CoreStatus) and the FastAGI server (serving) — not the controller.
"""
from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

import asyncpg

from ivr.ami.actions import AmiActions
from ivr.periodic import Periodic

PROBE_INTERVAL_S = 1.0


class AmiLink(AmiActions, Protocol):
    @property
    def connected(self) -> bool: ...


class AgiLink(Protocol):
    @property
    def serving(self) -> bool: ...


class HealthMonitor:
    def __init__(self, pool: asyncpg.Pool, ami: AmiLink, agi: AgiLink) -> None:
        self._pool = pool
        self._ami = ami
        self._agi = agi
        self._database_up = False
        self._asterisk_up = False
        self._periodic = Periodic(self._probe, PROBE_INTERVAL_S, "health-probe")

    def components(self) -> dict[str, bool]:
        return {
            "asterisk": self._asterisk_up,
            "ami": self._ami.connected,
            "agi": self._agi.serving,
            "database": self._database_up,
        }

    async def start(self) -> None:
        await self._probe()
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()

    async def _probe(self) -> None:
        self._database_up = await self._probe_database()
        self._asterisk_up = await self._probe_asterisk()

    async def _probe_database(self) -> bool:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1):
                return await self._pool.fetchval("SELECT 1") == 1
        return False

    async def _probe_asterisk(self) -> bool:
        if not self._ami.connected:
            return False
        with contextlib.suppress(Exception):
            response = await self._ami.send("CoreStatus", timeout=1)
            return response.succeeded
        return False
