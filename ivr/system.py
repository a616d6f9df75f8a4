"""What `make run` runs (`python -m ivr run`): a small supervisor.

It takes the instance's run lock (a second start refuses, naming the running one), then brings up, in
order, PostgreSQL (private when DATABASE_URL is unset), the prompts, Asterisk with our dialplan, and the
controller as a child process of its own. A healthy Asterisk or PostgreSQL of this instance left running
by an earlier supervisor that died is adopted, not restarted, so callers waiting in a queue stay. Each
part is then watched and restarted with backoff when it dies (ivr/supervision.py). Stop order is the
reverse: the controller (it flushes its records), Asterisk, PostgreSQL.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncpg

from db.agents import list_sip_credentials
from db.demo import demo_enabled, load_demo_data, refuse_demo_passwords
from db.migrate import migrate
from ivr.config import Settings
from ivr.sms_gateway import kannel_options
from ivr.supervision import ControllerProcess, Watched
from prompts.build import ensure_prompts_async
from runtime.kannel import KannelGateway
from runtime.asterisk import AgentEndpoint, AsteriskInstance, DbParams, PbxOptions, instance_dir_for
from runtime.lock import InstanceBusy, RunLock
from runtime.postgres import PrivateCluster, data_dir_for

__all__ = ["InstanceBusy", "System", "db_params"]

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
DATABASE_NAME = "ivr1022"
OWNER_FILE = "state_dir"        # in the Asterisk instance's directory: which state directory runs it


def db_params(database_url: str) -> DbParams:
    parts = urlsplit(database_url)
    return DbParams(host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                    dbname=parts.path.lstrip("/"), user=unquote(parts.username or "postgres"),
                    password=unquote(parts.password or ""))


class System:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.cluster: PrivateCluster | None = None
        self.asterisk: AsteriskInstance | None = None
        self.controller: ControllerProcess | None = None
        self.kannel: KannelGateway | None = None
        self.watched: list[Watched] = []
        self._lock: RunLock | None = None

    async def start(self) -> None:
        s = self.settings
        self._take_lock()
        database_url = await self._start_database()
        self.asterisk = await prepared_asterisk(s, database_url)
        await self._start_asterisk()
        self.controller = ControllerProcess(self._controller_env(database_url), REPO)
        await self.controller.start()
        await self._start_kannel()
        self.watched = [Watched("the controller", lambda: self.controller.running, self.controller.start),
                        Watched("Asterisk", lambda: self.asterisk.running, self._restart_asterisk)]
        if self.kannel is not None:
            self.watched.append(Watched("Kannel", lambda: self.kannel.running, self.kannel.start))
        if self.cluster is not None:
            self.watched.append(Watched("PostgreSQL", lambda: self.cluster.running, self._restart_database))
        for watched in self.watched:
            watched.start()
        await asyncio.to_thread(_wait_healthy, s.http_host, s.http_port, 90)

    async def stop(self) -> None:
        for watched in self.watched:
            await watched.stop()
        if self.kannel is not None:
            await self.kannel.stop()
        if self.controller is not None:
            await self.controller.stop()
        if self.asterisk is not None:
            await self.asterisk.stop()
        if self.cluster is not None:
            await self.cluster.stop()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # -- the run lock ----------------------------------------------------------------

    def _take_lock(self) -> None:
        s = self.settings
        holder = {"pid": os.getpid(), "instance": s.instance, "state_dir": str(s.state_dir),
                  "ports": {"http": s.http_port, "sip": s.sip_port, "ami": s.ami_port, "agi": s.agi_port,
                            **({} if s.database_url else {"postgres": s.pg_port})}}
        paths = [s.state_dir / "supervisor.lock", instance_dir_for(s.asterisk_root, s.instance) / "supervisor.lock"]
        lock = RunLock(paths, holder)
        lock.acquire()                                      # InstanceBusy: another supervisor runs it
        self._lock = lock

    # -- PostgreSQL ------------------------------------------------------------------

    async def _start_database(self) -> str:
        if self.settings.database_url:
            return self.settings.database_url
        self.cluster = PrivateCluster(data_dir_for(self.settings.state_dir), self.settings.pg_port)
        if not await self.cluster.adopt():
            await self.cluster.start()
        await self.cluster.create_database(DATABASE_NAME)
        return private_dsn(self.settings)

    async def _restart_database(self) -> None:
        await self.cluster.stop()           # reaps the dead server; idempotent
        await self.cluster.start()

    # -- Asterisk --------------------------------------------------------------------

    async def _start_asterisk(self) -> None:
        pbx = self.asterisk
        owner = pbx.dir / OWNER_FILE
        if await pbx.adopt():
            theirs = owner.read_text().strip() if owner.exists() else ""
            if theirs and theirs != str(self.settings.state_dir):
                pid = pbx.pid
                pbx.forget()                                # not ours: stop() must leave it alone
                raise InstanceBusy(f"Asterisk instance {pbx.name} (pid {pid}) runs for the state directory "
                                   f"{theirs}; set another IVR_INSTANCE or stop it first")
            log.info("adopted the running Asterisk of instance %s (pid %d): calls in progress go on; "
                     "its configuration is the one it was started with", pbx.name, pbx.pid)
            return
        render(pbx, self.settings)
        await pbx.start(replace_stale=False)

    async def _restart_asterisk(self) -> None:
        await self.asterisk.stop()          # reaps the dead process, kills what is left of its group
        render(self.asterisk, self.settings)
        await self.asterisk.start(replace_stale=False)

    # -- Kannel (IVR_SMS=on, IVR_SMS_SEND_URL unset) ---------------------------------

    async def _start_kannel(self) -> None:
        if self.settings.sms and self.settings.sms_own_gateway:
            self.kannel = KannelGateway(self.settings.state_dir, kannel_options(self.settings))
            await self.kannel.start()

    # -- the controller --------------------------------------------------------------

    def _controller_env(self, database_url: str) -> dict[str, str]:
        s = self.settings
        return {**os.environ, "DATABASE_URL": database_url, "IVR_INSTANCE": s.instance,
                "IVR_STATE_DIR": str(s.state_dir), "IVR_ASTERISK_ROOT": str(s.asterisk_root),
                "IVR_AMI_SECRET": s.ami_secret}


async def prepared_asterisk(s: Settings, database_url: str) -> AsteriskInstance:
    """The schema and demo people in the database, the prompts: what Asterisk's config is made of."""
    agents = await prepare_database(database_url)
    prompts_dir = s.state_dir / "prompts"
    report = await ensure_prompts_async(prompts_dir, REPO / "prompts" / "overrides")
    log.info("prompts ready: %s", report)
    return AsteriskInstance(s.asterisk_root, s.instance, pbx_options(s, database_url, agents, prompts_dir))


def render(pbx: AsteriskInstance, s: Settings) -> None:
    pbx.render()
    (pbx.dir / OWNER_FILE).write_text(f"{s.state_dir}\n")


def private_dsn(s: Settings) -> str:
    """The private cluster's database (DATABASE_URL unset)."""
    return f"postgresql://postgres@127.0.0.1:{s.pg_port}/{DATABASE_NAME}"


async def prepare_database(database_url: str, attempts: int = 60) -> list[AgentEndpoint]:
    """Migrations and demo people; the agents' SIP credentials. PostgreSQL may still be starting."""
    for attempt in range(attempts):
        try:
            pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
            break
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)
    try:
        async with pool.acquire() as con:
            await migrate(con)
        if demo_enabled():
            await load_demo_data(pool)
        else:
            await refuse_demo_passwords(pool)
        return [AgentEndpoint(a["ext"], a["sip_password"]) for a in await list_sip_credentials(pool)]
    finally:
        await pool.close()


def pbx_options(s: Settings, database_url: str, agents: list[AgentEndpoint], prompts_dir: Path) -> PbxOptions:
    return PbxOptions(
        sip_port=s.sip_port, ami_port=s.ami_port, ami_user=s.ami_user, ami_secret=s.ami_secret,
        agi_port=s.agi_port, emergency_uri=s.emergency_uri, trunk_network=s.trunk_network,
        outbound_uri=s.outbound_uri,
        db=db_params(database_url), agents=tuple(agents), sounds_dir=prompts_dir,
        default_branch=s.default_branch, emergency_dial_timeout_s=s.emergency_dial_timeout_s,
        queue_max_wait_s=s.queue_max_wait_s, menu_repeats=s.menu_repeats, survey=s.survey,
        nice=s.asterisk_nice, http_port=s.asterisk_http_port, webrtc_media_address=s.webrtc_media_address)


def _wait_healthy(host: str, port: int, timeout: float) -> bool:
    """Block (in a thread) until /healthz says up, so `make run` announces a system that answers."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=2) as response:
                if json.load(response).get("status") == "up":
                    return True
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    log.warning("not healthy after %.0f s: see /healthz", timeout)
    return False
