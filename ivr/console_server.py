"""The console's HTTP server as one of the controller's parts (start/stop like the others)."""
from __future__ import annotations

from aiohttp import web


class ConsoleServer:
    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self._address = (host, port)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, *self._address).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
