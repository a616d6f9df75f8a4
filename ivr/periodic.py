"""A step the controller repeats in the background: every `interval` seconds, in one named task.

The reconciler (ivr/calls/reconcile.py), the health probe (ivr/health.py) and the raw-fact loader
(ivr/calls/raw_load.py) each own one. The step handles its own expected errors (a database away);
stop() cancels the task and waits for it, so nothing runs after the controller has stopped.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Periodic:
    def __init__(self, step: Callable[[], Awaitable[object]], interval: float, name: str, *,
                 first_at_once: bool = False) -> None:
        self._step = step
        self.interval = interval
        self._name = name
        self._first_at_once = first_at_once
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        if self._first_at_once:
            await self._step()
        while True:
            await asyncio.sleep(self.interval)
            await self._step()
