"""Keeping the parts of `make run` alive: each part is watched and restarted with backoff when it
dies, without touching the parts that live.

- `Watched` — one part: `alive()` is polled every POLL_S; a dead part is restarted after a delay that
  doubles from BACKOFF_MIN_S up to BACKOFF_MAX_S, and falls back to the minimum once the part has stayed
  up for STABLE_S (a part that crashes at once is not restarted in a tight loop).
- `ControllerProcess` — the controller (`python -m ivr controller`) as a child process of its own, so
  its death (a bug, an OOM kill, kill -9) ends neither Asterisk nor PostgreSQL nor the supervisor.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Awaitable, Callable

log = logging.getLogger(__name__)

POLL_S = 0.5
BACKOFF_MIN_S = 0.5
BACKOFF_MAX_S = 30.0
STABLE_S = 60.0


class Watched:
    def __init__(self, name: str, alive: Callable[[], bool], restart: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self.alive = alive
        self.restart = restart
        self.restarts = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch(), name=f"watch {self.name}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _watch(self) -> None:
        delay = BACKOFF_MIN_S
        up_since = time.monotonic()
        while True:
            await asyncio.sleep(POLL_S)
            if self.alive():
                if time.monotonic() - up_since > STABLE_S:
                    delay = BACKOFF_MIN_S
                continue
            log.warning("%s is down; restarting it in %.1f s", self.name, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)
            try:
                await self.restart()
            except asyncio.CancelledError:
                raise
            except Exception as exc:        # the next round retries, after a longer delay
                log.error("restarting %s failed: %s", self.name, exc)
                continue
            self.restarts += 1
            up_since = time.monotonic()
            log.info("%s restarted (%d restart(s) so far)", self.name, self.restarts)


class ControllerProcess:
    """`python -m ivr controller` with the supervisor's settings plus DATABASE_URL and the instance."""

    def __init__(self, env: dict[str, str], cwd: Path, stop_timeout_s: float = 20.0) -> None:
        self.env = env
        self.cwd = cwd
        self.stop_timeout_s = stop_timeout_s
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        if self.running:
            return
        # Its own session: a Ctrl-C on the terminal reaches the supervisor only, which stops the
        # controller first (it flushes its buffered records) and then Asterisk and PostgreSQL.
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ivr", "controller", cwd=self.cwd, env=self.env,
            stdin=asyncio.subprocess.DEVNULL, start_new_session=True)
        log.info("controller started (pid %d)", self._process.pid)

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        for signum, timeout in ((signal.SIGTERM, self.stop_timeout_s), (signal.SIGKILL, 5.0)):
            try:
                os.kill(process.pid, signum)
            except ProcessLookupError:
                return
            try:
                await asyncio.wait_for(process.wait(), timeout)
                return
            except asyncio.TimeoutError:
                log.warning("controller (pid %d) still running after %s", process.pid, signum.name)
