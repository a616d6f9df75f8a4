"""The controller process, wired in one place: AMI → call tracker → record writer → PostgreSQL,
FastAGI routes, and the console's HTTP app. Everything is built here by constructor."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import asyncpg
from aiohttp import web

from agent_console.app import ConsoleConfig, init_app
from db.migrate import migrate
from ivr.acd.listen import LiveListener
from ivr.acd.live import LiveHub
from ivr.acd.queues import QueueMonitor
from ivr.acd.resync import resync_members
from ivr.acd.service import AgentService
from ivr.acd.store import ListenOutcomeWriter, StateWriter
from ivr.agi.routes import build_routes
from ivr.agi.server import AgiServer
from ivr.ami.client import AmiClient
from ivr.calls.reconcile import Reconciler
from ivr.calls.tracker import CallTracker
from ivr.config import Settings
from ivr.health import HealthMonitor
from ivr.store.writer import RecordWriter
from recordings.call_recordings import CallRecordings

log = logging.getLogger(__name__)


class Controller:
    def __init__(self, settings: Settings, database_url: str, recordings_dir: Path | None = None):
        self.settings = settings
        self.database_url = database_url
        self.pool: asyncpg.Pool | None = None
        self.writer = RecordWriter(lambda: self.pool)
        self.tracker = CallTracker(self.writer.submit, short_abandon_s=settings.short_abandon_s)
        self.ami = AmiClient("127.0.0.1", settings.ami_port, settings.ami_user, settings.ami_secret)
        self.ami.subscribe(self.tracker.handle)
        self.reconciler = Reconciler(lambda: self.pool, self.tracker, self.writer.submit, self.ami,
                                     short_abandon_s=settings.short_abandon_s)
        self.ami.on_connected(self.reconciler.on_connected)
        self.agent_states = StateWriter(lambda: self.pool)
        self.live = LiveHub(path_of=self._ivr_path)
        self.ami.subscribe(self.live.handle)
        self.agents = AgentService(self.ami, lambda: self.pool, self.agent_states.submit,
                                   wrapup_limit_s=settings.wrapup_limit_s,
                                   bus=self.live.agent_states)
        self.ami.subscribe(self.agents.handle)
        self.ami.on_connected(lambda: resync_members(self.agents, self.ami))
        self.queues = QueueMonitor(self.ami)
        self.listener = LiveListener(self.ami)
        self.listen_outcomes = ListenOutcomeWriter(lambda: self.pool)
        self.ami.subscribe(self.listen_outcomes.handle)
        self.agi = AgiServer("127.0.0.1", settings.agi_port, build_routes(lambda: self.pool))
        self.health = HealthMonitor(self)
        # MixMonitor's files: indexed, served to the console, deleted after the retention period.
        self.recordings = (CallRecordings(lambda: self.pool, recordings_dir,
                                          retention_days=settings.recording_retention_days)
                           if recordings_dir is not None else None)
        self._runner: web.AppRunner | None = None

    def _ivr_path(self, linkedid: str) -> list[tuple[str, str]]:
        """The IVR steps the tracker has seen so far for a live call (for the screen pop)."""
        call = self.tracker.calls.get(linkedid)
        return [(step.kind, step.value) for step in call.record.ivr_path] if call is not None else []

    async def start(self) -> None:
        self.pool = await connect_pool(self.database_url)
        async with self.pool.acquire() as con:
            applied = await migrate(con)
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        await self.writer.start()
        await self.agent_states.start()
        await self.listen_outcomes.start()
        await self.agi.start()
        await self.ami.start()
        await self.reconciler.start()
        await self.health.start()
        if self.recordings is not None:
            await self.recordings.start()
        await self._start_http()
        log.info("controller up: console http://%s:%d/", self.settings.http_host, self.settings.http_port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.health.stop()
        if self.recordings is not None:
            await self.recordings.stop()
        await self.reconciler.stop()
        await self.ami.stop()
        await self.agents.stop()
        await self.agi.stop()
        await self.writer.stop()
        await self.agent_states.stop()
        await self.listen_outcomes.stop()
        if self.pool is not None:
            await self.pool.close()
            self.pool = None

    async def _start_http(self) -> None:
        config = ConsoleConfig.from_settings(self.settings)
        app = init_app(config, lambda: self.pool, self.health, agent_control=self.agents, queue_view=self.queues,
                       live_feed=self.live, live_listen=self.listener,
                       recording_store=self.recordings.files if self.recordings is not None else None)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.http_host, self.settings.http_port)
        await site.start()


async def connect_pool(database_url: str, attempts: int = 40) -> asyncpg.Pool:
    """PostgreSQL may still be starting: retry for a while before giving up."""
    for attempt in range(attempts):
        try:
            return await asyncpg.create_pool(database_url, min_size=1, max_size=8, timeout=5,
                                             command_timeout=10)
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
            if attempt == attempts - 1:
                raise
            log.info("waiting for PostgreSQL: %s", exc)
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")
