"""What the surge bench runs against, all private to one run and all stopped by it: a PostgreSQL
cluster in a temporary directory, one Asterisk instance with the project's dialplan (CEL and
queue_log into that database, the demo agents' endpoints), and the controller as a subprocess
(`python -m ivr controller`) so that its CPU time is its own."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import urllib.request
import uuid
from pathlib import Path

import asyncpg

from db.agents import list_sip_credentials
from db.demo import load_demo_data
from db.migrate import migrate
from ivr.config import Settings
from ivr.system import db_params
from prompts.build import ensure_prompts_async
from runtime.asterisk import AgentEndpoint, AsteriskInstance, PbxOptions
from runtime.postgres import PrivateCluster
from tests.ports import free_port

REPO = Path(__file__).resolve().parents[2]
PROMPTS_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ivr1022" / "bench-prompts"
AMI_USER = "ivr1022"   # the controller's default IVR_AMI_USER


def asterisk_root() -> Path:
    """$IVR_ASTERISK_ROOT, else the product's default (the cached Debian-testing chroot)."""
    if os.environ.get("IVR_ASTERISK_ROOT"):
        return Path(os.environ["IVR_ASTERISK_ROOT"]).resolve()
    return Settings(state_dir=Path(".")).asterisk_root


class SurgeStack:
    """start() → PostgreSQL, schema + demo data, Asterisk; start_controller()/stop_controller()
    may be called between; stop() stops everything it started, in reverse order."""

    def __init__(self, *, queue_max_wait_s: int = 300, wrapup_limit_s: int = 120,
                 root: Path | None = None, outbound_uri: str | None = None,
                 controller_extra: dict[str, str] | None = None) -> None:
        self.root = root or asterisk_root()
        self.outbound_uri = outbound_uri        # the citizens' trunk (callbacks); None: the product's default
        self.controller_extra = controller_extra or {}
        self.workdir = Path(tempfile.mkdtemp(prefix="ivr1022-bench-"))
        os.chmod(self.workdir, 0o711)   # the postgres user (we may be root) must enter it
        self.queue_max_wait_s = queue_max_wait_s
        self.wrapup_limit_s = wrapup_limit_s
        self.cluster = PrivateCluster(self.workdir / "pg", free_port())
        self.database_url = self.cluster.dsn("ivr1022")
        self.agents: list[AgentEndpoint] = []
        self.branches: dict[str, list[tuple[str, int]]] = {}
        self.asterisk: AsteriskInstance | None = None
        self.http_port = free_port()
        self.controller: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        await self.cluster.start()
        await self.cluster.create_database("ivr1022")
        await self._prepare_database()
        await ensure_prompts_async(PROMPTS_CACHE, REPO / "prompts" / "overrides")
        options = PbxOptions(
            sip_port=free_port(), ami_port=free_port(), agi_port=free_port(), ami_user=AMI_USER,
            ami_secret=uuid.uuid4().hex, emergency_uri=f"sip:115@127.0.0.1:{free_port()}",
            db=db_params(self.database_url), agents=tuple(self.agents), sounds_dir=PROMPTS_CACHE,
            queue_max_wait_s=self.queue_max_wait_s, verbose=0,
            **({"outbound_uri": self.outbound_uri} if self.outbound_uri else {}))
        self.asterisk = AsteriskInstance(self.root, f"bench{os.getpid()}-{uuid.uuid4().hex[:6]}", options)
        self.asterisk.render()
        await self.asterisk.start(timeout=60)

    async def _prepare_database(self) -> None:
        pool = await asyncpg.create_pool(self.database_url, min_size=1, max_size=2)
        try:
            async with pool.acquire() as con:
                await migrate(con)
            await load_demo_data(pool)
            self.agents = [AgentEndpoint(a["ext"], a["sip_password"]) for a in await list_sip_credentials(pool)]
            rows = await pool.fetch("SELECT ext, queue, penalty FROM agent_branches ORDER BY ext, queue")
        except asyncpg.UndefinedTableError:
            rows = []
        finally:
            await pool.close()
        for row in rows:
            self.branches.setdefault(row["ext"], []).append((row["queue"], row["penalty"]))

    @property
    def options(self) -> PbxOptions:
        assert self.asterisk is not None
        return self.asterisk.options

    def controller_env(self) -> dict[str, str]:
        o = self.options
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IVR_", "PG"))}
        env.update(DATABASE_URL=self.database_url, IVR_STATE_DIR=str(self.workdir / "state"),
                   IVR_HTTP_PORT=str(self.http_port), IVR_SIP_PORT=str(o.sip_port),
                   IVR_AMI_PORT=str(o.ami_port), IVR_AGI_PORT=str(o.agi_port), IVR_AMI_USER=o.ami_user,
                   IVR_AMI_SECRET=o.ami_secret, IVR_EMERGENCY_URI=o.emergency_uri,
                   IVR_WRAPUP_LIMIT=str(self.wrapup_limit_s), IVR_ASTERISK_ROOT=str(self.root))
        if self.outbound_uri:
            env["IVR_OUTBOUND_URI"] = self.outbound_uri
        env.update(self.controller_extra)
        return env

    async def start_controller(self, timeout: float = 60) -> None:
        with open(self.workdir / "controller.log", "ab") as log:   # noqa: ASYNC230 (a log file)
            self.controller = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "ivr", "controller", "--log-level", "WARNING", cwd=REPO,
                env=self.controller_env(), stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True)
        try:
            await asyncio.wait_for(self._wait_healthy(), timeout)
        except TimeoutError:
            await self.stop_controller()
            tail = (self.workdir / "controller.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"controller not healthy within {timeout:.0f} s:\n{tail}") from None

    async def _wait_healthy(self) -> None:
        url = f"http://127.0.0.1:{self.http_port}/healthz"
        while True:
            if self.controller is None or self.controller.returncode is not None:
                raise RuntimeError("controller exited: see " + str(self.workdir / "controller.log"))
            try:
                body = await asyncio.to_thread(_get_json, url)
                if body.get("status") == "up":
                    return
            except OSError:
                pass
            await asyncio.sleep(0.3)

    async def stop_controller(self, timeout: float = 20) -> None:
        """SIGTERM (the controller writes its buffered records first), SIGKILL after timeout."""
        process, self.controller = self.controller, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def stop(self) -> None:
        await self.stop_controller()
        if self.asterisk is not None:
            await self.asterisk.stop()
            shutil.rmtree(self.asterisk.dir, ignore_errors=True)
        await self.cluster.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _get_json(url: str) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:     # 503 while degraded: still a JSON body
        return json.loads(exc.read() or b"{}")
