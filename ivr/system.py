"""Everything `make run` starts, in order, and stops in reverse: PostgreSQL (private when
DATABASE_URL is unset), the prompts, Asterisk with our dialplan, then the controller."""
from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncpg

from db.agents import list_sip_credentials
from db.demo import load_demo_data
from db.migrate import migrate
from ivr.app import Controller
from ivr.config import Settings
from prompts.build import ensure_prompts_async
from runtime.asterisk import AgentEndpoint, AsteriskInstance, DbParams, PbxOptions
from runtime.postgres import PrivateCluster, data_dir_for

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
DATABASE_NAME = "ivr1022"


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
        self.controller: Controller | None = None

    async def start(self) -> None:
        database_url = await self._start_database()
        agents = await self._prepare_database(database_url)
        prompts_dir = self.settings.state_dir / "prompts"
        report = await ensure_prompts_async(prompts_dir, REPO / "prompts" / "overrides")
        log.info("prompts ready: %s", report)
        self.asterisk = AsteriskInstance(self.settings.asterisk_root, self.settings.instance,
                                         self._pbx_options(database_url, agents, prompts_dir))
        self.asterisk.render()
        await self.asterisk.start()
        self.controller = Controller(self.settings, database_url, recordings_dir=self.asterisk.recordings_dir)
        await self.controller.start()

    async def stop(self) -> None:
        if self.controller is not None:
            await self.controller.stop()
        if self.asterisk is not None:
            await self.asterisk.stop()
        if self.cluster is not None:
            await self.cluster.stop()

    async def _start_database(self) -> str:
        if self.settings.database_url:
            return self.settings.database_url
        self.cluster = PrivateCluster(data_dir_for(self.settings.state_dir), self.settings.pg_port)
        await self.cluster.start()
        await self.cluster.create_database(DATABASE_NAME)
        return self.cluster.dsn(DATABASE_NAME)

    @staticmethod
    async def _prepare_database(database_url: str) -> list[AgentEndpoint]:
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
        try:
            async with pool.acquire() as con:
                await migrate(con)
            await load_demo_data(pool)
            return [AgentEndpoint(a["ext"], a["sip_password"]) for a in await list_sip_credentials(pool)]
        finally:
            await pool.close()

    def _pbx_options(self, database_url: str, agents: list[AgentEndpoint], prompts_dir: Path) -> PbxOptions:
        s = self.settings
        return PbxOptions(
            sip_port=s.sip_port, ami_port=s.ami_port, ami_user=s.ami_user, ami_secret=s.ami_secret,
            agi_port=s.agi_port, emergency_uri=s.emergency_uri, trunk_network=s.trunk_network,
            db=db_params(database_url), agents=tuple(agents), sounds_dir=prompts_dir,
            default_branch=s.default_branch, emergency_dial_timeout_s=s.emergency_dial_timeout_s,
            queue_max_wait_s=s.queue_max_wait_s, menu_repeats=s.menu_repeats, survey=s.survey)
