"""Component health for /healthz: each part up or down, probed off the request path."""
from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ivr.app import Controller

PROBE_INTERVAL_S = 1.0


class HealthMonitor:
    def __init__(self, controller: "Controller"):
        self._controller = controller
        self._database_up = False
        self._asterisk_up = False
        self._task: asyncio.Task[None] | None = None

    def components(self) -> dict[str, bool]:
        controller = self._controller
        return {
            "asterisk": self._asterisk_up,
            "ami": controller.ami.connected,
            "agi": controller.agi.serving,
            "database": self._database_up,
        }

    async def start(self) -> None:
        await self._probe()
        self._task = asyncio.create_task(self._loop(), name="health-probe")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(PROBE_INTERVAL_S)
            await self._probe()

    async def _probe(self) -> None:
        self._database_up = await self._probe_database()
        self._asterisk_up = await self._probe_asterisk()

    async def _probe_database(self) -> bool:
        pool = self._controller.pool
        if pool is None:
            return False
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1):
                return await pool.fetchval("SELECT 1") == 1
        return False

    async def _probe_asterisk(self) -> bool:
        ami = self._controller.ami
        if not ami.connected:
            return False
        with contextlib.suppress(Exception):
            response = await ami.send("CoreStatus", timeout=1)
            return response.succeeded
        return False
