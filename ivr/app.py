"""The controller process, wired in one place: AMI → ivr/events.py → call tracker, agent service,
live feed and listening log; record writers → PostgreSQL; FastAGI routes; the console's HTTP app.

The pool comes first and every part is built with it, by constructor. The parts start in the
order of `Controller._parts` and an AsyncExitStack stops them in reverse, so a part added to that
list is stopped by construction; the pool closes last.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Protocol

import asyncpg

from agent_console.api.wallboard import SERVICE_LEVEL_S
from agent_console.app import ConsoleConfig, init_app
from db.migrate import migrate
from db.report_rollup import RollupConfig, ensure_config
from ivr.acd.listen import LiveListener
from ivr.acd.live import LiveHub
from ivr.acd.phones import PhonePresence
from ivr.acd.queues import QueueMonitor
from ivr.acd.resync import resync_members
from ivr.acd.service import AgentService
from ivr.acd.store import ListenOutcomeWriter, StateWriter
from ivr.agi.routes import build_routes
from ivr.agi.server import AgiServer
from ivr.ami.client import AmiClient
from ivr.calls.live_view import LiveCallView
from ivr.calls.raw_load import RawFactLoader
from ivr.calls.reconcile import Reconciler
from ivr.calls.tracker import CallTracker
from ivr.callbacks.service import CallbackService
from ivr.config import Settings
from ivr.console_server import ConsoleServer
from ivr.events import EventRoutes, event_routes
from ivr.followups.dialer import FollowupCaller
from ivr.followups.surge import SurgeMirror
from ivr.health import HealthMonitor
from ivr.metrics import ControllerMetrics
from ivr.sms_gateway import sms_sender
from ivr.sip_guard import BanPolicy, SipGuard
from ivr.store.writer import RecordWriter
from recordings.call_recordings import CallRecordings

log = logging.getLogger(__name__)


class Part(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Controller:
    def __init__(self, settings: Settings, database_url: str, recordings_dir: Path | None = None,
                 sip_acl_path: Path | None = None, asterisk_log_dir: Path | None = None):
        """sip_acl_path: the instance's sip_bans.conf (None: bans are recorded, not enforced).
        asterisk_log_dir: Asterisk's log folder, whose raw-fact files are loaded back after a database
        outage (None: not loaded)."""
        self.asterisk_log_dir = asterisk_log_dir
        self.settings = settings
        self.sip_acl_path = sip_acl_path
        self.database_url = database_url
        self.recordings_dir = recordings_dir
        self.pool: asyncpg.Pool | None = None
        self._stack: contextlib.AsyncExitStack | None = None

    async def start(self) -> None:
        async with contextlib.AsyncExitStack() as stack:
            self.pool = await connect_pool(self.database_url)
            stack.push_async_callback(self._close_pool)
            await self._migrate()
            await self._configure_rollup()
            self._wire(self.pool)
            for part in self._parts():
                await part.start()
                stack.push_async_callback(part.stop)
            self._stack = stack.pop_all()      # started: stop() unwinds it; a failure above unwinds now
        log.info("controller up: console http://%s:%d/", self.settings.http_host, self.settings.http_port)

    async def stop(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()

    def _parts(self) -> list[Part]:
        """Start order; stop is the reverse. The agent service is stopped after the AMI client
        (its wrap-up timers may still send a QueuePause until then)."""
        recordings = [self.recordings] if self.recordings is not None else []
        raw_loader = [self.raw_loader] if self.raw_loader is not None else []
        return [self.writer, self.agent_states, self.listen_outcomes, self.agi, self.agents, self.callbacks, self.ami,
                self.reconciler, *raw_loader, self.health, *recordings, self.sip_guard, self.console]

    def _wire(self, pool: asyncpg.Pool) -> None:
        settings = self.settings
        self.writer = RecordWriter(pool)
        self.agent_states = StateWriter(pool)
        self.listen_outcomes = ListenOutcomeWriter(pool)
        self.tracker = CallTracker(self.writer.submit, short_abandon_s=settings.short_abandon_s)
        self.live = LiveHub(path_of=self._ivr_path)
        self.ami = AmiClient("127.0.0.1", settings.ami_port, settings.ami_user, settings.ami_secret)
        self.agents = AgentService(self.ami, pool, self.agent_states.submit,
                                   wrapup_limit_s=settings.wrapup_limit_s, bus=self.live.agent_states)
        self.callbacks = CallbackService(self.ami, pool, retry_delay_s=settings.callback_retry_delay_s,
                                         max_attempts=settings.callback_attempts, ring_s=settings.callback_ring_s,
                                         publish=self.live.publish)
        self.phones = PhonePresence(self.agents)
        self.sip_guard = SipGuard(pool, self.ami, self.sip_acl_path,
                                  BanPolicy(settings.sip_ban_failures, settings.sip_ban_window_s, settings.sip_ban_s,
                                            exempt=settings.trunk_network))
        self.ami.on_connected(self.sip_guard.on_connected)
        self.events: EventRoutes = event_routes(self.tracker, self.agents, self.live, self.listen_outcomes,
                                                callbacks=self.callbacks, phones=self.phones,
                                                sip_guard=self.sip_guard)
        self.ami.subscribe(self.events.dispatch)
        self.reconciler = Reconciler(pool, self.tracker, self.writer.submit, self.ami,
                                     short_abandon_s=settings.short_abandon_s)
        self.ami.on_connected(self.reconciler.on_connected)
        # The raw facts Asterisk could only write to its local files (a database outage): loaded back,
        # then the reconciler rebuilds the calls they finish.
        self.raw_loader = (RawFactLoader(pool, self.asterisk_log_dir, after_load=self.reconciler.rebuild_ended_calls)
                           if self.asterisk_log_dir is not None else None)
        self.ami.on_connected(lambda: resync_members(self.agents, self.ami))
        self.ami.on_connected(self.callbacks.resync)
        self.agi = AgiServer("127.0.0.1", settings.agi_port, build_routes(pool, self.callbacks))
        self.health = HealthMonitor(pool, self.ami, self.agi)
        # The surge switch lives in PostgreSQL; Asterisk's AstDB copy is rewritten after every (re)connect.
        self.surge = SurgeMirror(self.ami, pool)
        self.ami.on_connected(self.surge.on_connected)
        # MixMonitor's files: indexed, served to the console, deleted after the retention period.
        self.recordings = (CallRecordings(pool, self.recordings_dir, retention_days=settings.recording_retention_days)
                           if self.recordings_dir is not None else None)
        self.console = ConsoleServer(self._console_app(), settings.http_host, settings.http_port)

    def _console_app(self):
        return init_app(ConsoleConfig.from_settings(self.settings), lambda: self.pool, self.health,
                        agent_control=self.agents, queue_view=QueueMonitor(self.ami), live_feed=self.live,
                        live_listen=LiveListener(self.ami),
                        recording_store=self.recordings.files if self.recordings is not None else None,
                        controller_figures=ControllerMetrics({"calls": self.writer, "agent_states": self.agent_states,
                                                              "listen_outcomes": self.listen_outcomes},
                                                             reconciler=self.reconciler, raw_loader=self.raw_loader),
                        live_calls=LiveCallView(lambda: self.tracker.calls),
                        followup_dialer=FollowupCaller(self.ami, ring_timeout_ms=self.settings.followup_ring_s * 1000),
                        surge_mirror=self.surge, sms_sender=sms_sender(self.settings), sip_bans=self.sip_guard)

    def _ivr_path(self, linkedid: str) -> list[tuple[str, str]]:
        """The IVR steps the tracker has seen so far for a live call (for the screen pop)."""
        call = self.tracker.calls.get(linkedid)
        return [(step.kind, step.value) for step in call.record.ivr_path] if call is not None else []

    async def _migrate(self) -> None:
        assert self.pool is not None
        async with self.pool.acquire() as con:
            applied = await migrate(con)
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))

    async def _configure_rollup(self) -> None:
        """The reports' roll-up counts at the hotline's zone and short-abandon threshold (and the
        reports' default service level): when they changed, rebuild it now, before any record
        writer starts (the rebuild holds the roll-up's lock; a year of 3 M calls takes minutes)."""
        assert self.pool is not None
        wanted = RollupConfig.of(self.settings.timezone, self.settings.short_abandon_s, SERVICE_LEVEL_S)
        started = asyncio.get_running_loop().time()
        old = await ensure_config(self.pool, wanted)
        if old is None:
            log.info("report roll-up counts at %s, as the settings say", wanted)
        else:
            log.warning("report roll-up was kept at %s; rebuilt from every raw row at %s in %.1f s",
                        old, wanted, asyncio.get_running_loop().time() - started)

    async def _close_pool(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            await pool.close()


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
