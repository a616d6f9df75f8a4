"""A private PostgreSQL cluster that the product starts itself.

`make run` uses one under $IVR_STATE_DIR/postgres when DATABASE_URL is unset; the tests use
a fresh one in a temporary directory, so a test may stop PostgreSQL and start it again.

- initdb runs once (when the data directory has no PG_VERSION): UTF-8, trust authentication
  for the local socket and 127.0.0.1 only (pg_hba.conf is written by us, nothing else).
- The server listens on 127.0.0.1:<port> only, its Unix socket lives inside the data
  directory, timezone is UTC (cel_pgsql and queue_log write local-time strings: configure
  Asterisk with usegmtime / queue_log_realtime_use_gmt so both sides agree), fsync stays on.
- `postgres` is our child process (its own session, so a Ctrl-C on `make run` does not reach
  it before the controller has flushed its writes): we own its PID and stop it with a fast
  shutdown (SIGINT), escalating to an immediate one (SIGQUIT) after a timeout.
- PostgreSQL refuses to run as root: when we are root, initdb and postgres run as the
  `postgres` system user (subprocess's user=), and the data directory is chowned to it.
"""
from __future__ import annotations

import asyncio
import glob
import hashlib
import logging
import os
import pwd
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

SUPERUSER = "postgres"
_DB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_HBA = """\
# Written by runtime/postgres.py: trust on the private socket and on 127.0.0.1 only.
local   all             all                     trust
host    all             all     127.0.0.1/32    trust
"""
# Unix socket paths are limited to 107 bytes; longer data-dir paths get TCP only.
_MAX_SOCKET_DIR = 90


class ClusterError(RuntimeError):
    """The private cluster could not be created, started or stopped; the message says why."""


def find_bindir() -> Path:
    """Directory holding initdb and postgres: pg_config --bindir, newest /usr/lib/postgresql/*/bin, or PATH."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    candidates += [Path(v) for v in versions]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "postgres").is_file():
            return bindir
    raise ClusterError("PostgreSQL server binaries (initdb, postgres) not found: install the `postgresql` package")


def _version_key(path: str) -> tuple[int, ...]:
    parts = Path(path).parent.name.split(".")
    return tuple(int(p) for p in parts if p.isdigit())


SHARED_DATA_ROOT = Path("/var/lib/ivr1022/postgres")


def searchable_by(path: Path, username: str) -> bool:
    """Can `username` enter every directory above `path`?"""
    uid = pwd.getpwnam(username).pw_uid
    for parent in Path(path).resolve().parents:
        if not parent.exists():
            continue  # we will create it, with the default (searchable) mode
        st = parent.stat()
        if st.st_uid != uid and not st.st_mode & 0o001:
            return False
    return True


def data_dir_for(state_dir: Path) -> Path:
    """<state>/postgres — unless we are root and the `postgres` user, who must run the server,
    cannot enter the state directory (a checkout under /root, mode 0700). Then the data lives
    in /var/lib/ivr1022/postgres/<hash of the state path>, and <state>/postgres links to it."""
    wanted = Path(state_dir) / "postgres"
    if os.geteuid() != 0 or wanted.is_symlink() or searchable_by(wanted, SUPERUSER):
        return wanted
    shared = SHARED_DATA_ROOT / hashlib.sha256(str(Path(state_dir).resolve()).encode()).hexdigest()[:12]
    shared.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(SHARED_DATA_ROOT.parent, 0o755)
    os.chmod(SHARED_DATA_ROOT, 0o755)
    wanted.parent.mkdir(parents=True, exist_ok=True)
    if wanted.exists():
        raise ClusterError(f"{wanted} exists but the `{SUPERUSER}` user cannot reach it: move it to {shared}")
    wanted.symlink_to(shared, target_is_directory=True)
    log.info("PostgreSQL data in %s (linked from %s): %s cannot enter the state directory", shared, wanted, SUPERUSER)
    return wanted


class PrivateCluster:
    """One PostgreSQL data directory and, while running, the server process we started on it."""

    def __init__(self, data_dir: Path, port: int, *, bindir: Path | None = None,
                 start_timeout_s: float = 60.0, stop_timeout_s: float = 30.0) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self._bindir = bindir
        self._start_timeout_s = start_timeout_s
        self._stop_timeout_s = stop_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._adopted_pid: int | None = None    # a server on our data dir that an earlier run started
        self._run_as = SUPERUSER if os.geteuid() == 0 else None

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def running(self) -> bool:
        if self._adopted_pid is not None:
            return _pid_is_postgres(self._adopted_pid)
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        if self._adopted_pid is not None:
            return self._adopted_pid if self.running else None
        return self._proc.pid if self.running and self._proc else None

    @property
    def adopted(self) -> bool:
        return self._adopted_pid is not None

    async def adopt(self) -> bool:
        """Keep a server an earlier run left on our data directory (its supervisor died) when it is
        healthy: it answers on our port and serves our data directory. Returns True when adopted."""
        if self.running:
            return True
        pid = _postmaster_pid(self.data_dir)
        if pid is None:
            return False
        try:
            con = await asyncpg.connect(self.dsn(), timeout=5)
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError):
            return False
        try:
            data_dir = await con.fetchval("SHOW data_directory")
        finally:
            await con.close()
        if Path(data_dir).resolve() != self.data_dir:
            return False
        self._adopted_pid = pid
        log.info("adopted the running PostgreSQL (pid %d) on %s", pid, self.data_dir)
        return True

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    async def start(self) -> None:
        """initdb if needed, start the server, return once it accepts connections."""
        if self.running:
            return
        self._adopted_pid = None
        bindir = self._bindir or await asyncio.to_thread(find_bindir)
        self._bindir = bindir
        if not (self.data_dir / "PG_VERSION").exists():
            await asyncio.to_thread(self._initdb, bindir)
        await self._stop_leftover_server()
        self._proc = await asyncio.to_thread(self._spawn, bindir)
        try:
            await self._wait_ready()
        except BaseException:
            await self.stop()
            raise
        log.info("private PostgreSQL up on 127.0.0.1:%d (pid %d, %s)", self.port, self._proc.pid, self.data_dir)

    async def stop(self) -> None:
        """Fast shutdown (SIGINT); immediate (SIGQUIT) after the stop timeout. Idempotent."""
        if self._adopted_pid is not None:
            pid, self._adopted_pid = self._adopted_pid, None
            await self._stop_pid(pid)
            return
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, timeout in ((signal.SIGINT, self._stop_timeout_s), (signal.SIGQUIT, 10.0), (signal.SIGKILL, 10.0)):
            try:
                proc.send_signal(sig)
            except ProcessLookupError:
                break
            if await _wait_exit(proc, timeout):
                break
            log.warning("PostgreSQL (pid %d) still running after %s; escalating", proc.pid, sig.name)
        log.info("private PostgreSQL on port %d stopped", self.port)

    async def _stop_pid(self, pid: int) -> None:
        """The same escalation for a server that is not our child (adopted): signal, poll /proc."""
        for sig, timeout in ((signal.SIGINT, self._stop_timeout_s), (signal.SIGQUIT, 10.0), (signal.SIGKILL, 10.0)):
            if not _pid_is_postgres(pid):
                break
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and _pid_is_postgres(pid):
                await asyncio.sleep(0.05)
        log.info("private PostgreSQL on port %d stopped", self.port)

    async def create_database(self, name: str) -> None:
        """CREATE DATABASE name unless it exists. name: letters, digits, underscore."""
        if not _DB_NAME.match(name):
            raise ValueError(f"database name must match {_DB_NAME.pattern}, got {name!r}")
        con = await asyncpg.connect(self.dsn(), timeout=10)
        try:
            exists = await con.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await con.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
        except asyncpg.DuplicateDatabaseError:
            pass  # created concurrently
        finally:
            await con.close()

    # -- blocking helpers, run in a thread -------------------------------------------------

    def _initdb(self, bindir: Path) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if any(self.data_dir.iterdir()):
            raise ClusterError(f"{self.data_dir} is not empty and has no PG_VERSION: not a PostgreSQL data directory")
        self._own_data_dir()
        cmd = [str(bindir / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER, "-E", "UTF8",
               "--locale=C.UTF-8", "--auth=trust", "--no-instructions"]
        result = subprocess.run(cmd, capture_output=True, text=True, user=self._run_as, cwd="/", timeout=300)
        if result.returncode != 0:
            raise ClusterError(f"initdb failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")
        (self.data_dir / "pg_hba.conf").write_text(_HBA)
        self._own_data_dir()

    def _own_data_dir(self) -> None:
        os.chmod(self.data_dir, 0o700)
        if self._run_as is None:
            return
        user = pwd.getpwnam(self._run_as)
        for root, dirs, files in os.walk(self.data_dir):
            for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                os.lchown(name, user.pw_uid, user.pw_gid)
        self._check_reachable(user)

    def _check_reachable(self, user: pwd.struct_passwd) -> None:
        for parent in self.data_dir.parents:
            st = parent.stat()
            if st.st_uid != user.pw_uid and not st.st_mode & 0o001:
                raise ClusterError(f"{parent} is not searchable by the `{self._run_as}` user, which runs "
                                   f"PostgreSQL when we are root: chmod o+x {parent} or choose another IVR_STATE_DIR")

    async def prepare(self) -> tuple[list[str], str | None]:
        """initdb if needed; argv of the foreground server and the user to run it as (None: us). For a
        service manager (systemd) that runs postgres itself: `python -m ivr postgres` execs this."""
        bindir = self._bindir or await asyncio.to_thread(find_bindir)
        self._bindir = bindir
        if not (self.data_dir / "PG_VERSION").exists():
            await asyncio.to_thread(self._initdb, bindir)
        return self._server_command(bindir), self._run_as

    def _server_command(self, bindir: Path) -> list[str]:
        socket_dir = str(self.data_dir) if len(str(self.data_dir)) <= _MAX_SOCKET_DIR else ""
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": socket_dir,
            "timezone": "UTC",
            "log_timezone": "UTC",
            "logging_collector": "off",
            "max_connections": "200",
        }
        cmd = [str(bindir / "postgres"), "-D", str(self.data_dir)]
        for key, value in settings.items():
            cmd += ["-c", f"{key}={value}"]
        return cmd

    def _spawn(self, bindir: Path) -> subprocess.Popen[bytes]:
        cmd = self._server_command(bindir)
        with open(self.log_file, "ab") as log_out:
            if self._run_as:
                user = pwd.getpwnam(self._run_as)
                os.chown(self.log_file, user.pw_uid, user.pw_gid)
            return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log_out, stderr=log_out,
                                    user=self._run_as, cwd="/", start_new_session=True)

    # -- waiting ---------------------------------------------------------------------------

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._start_timeout_s
        last_error: BaseException | None = None
        while time.monotonic() < deadline:
            if not self.running:
                raise ClusterError(f"postgres exited during start-up; last log lines:\n{self._log_tail()}")
            try:
                con = await asyncpg.connect(self.dsn(), timeout=2)
            except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as exc:
                last_error = exc
                await asyncio.sleep(0.1)
                continue
            try:
                # The port may answer for another server (ours then fails to bind and exits).
                data_dir = await con.fetchval("SHOW data_directory")
            finally:
                await con.close()
            if Path(data_dir).resolve() != self.data_dir:
                raise ClusterError(f"127.0.0.1:{self.port} is served by another PostgreSQL ({data_dir}); "
                                   "choose another port")
            return
        raise ClusterError(f"postgres did not accept connections within {self._start_timeout_s:.0f}s "
                           f"({last_error!r}); last log lines:\n{self._log_tail()}")

    async def _stop_leftover_server(self) -> None:
        """A postgres left running on our data dir by a killed earlier run: stop it before starting ours."""
        pid = _postmaster_pid(self.data_dir)
        if pid is None:
            return
        log.warning("stopping a leftover PostgreSQL (pid %d) on %s", pid, self.data_dir)
        try:
            os.kill(pid, signal.SIGINT)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + self._stop_timeout_s
        while time.monotonic() < deadline and _pid_is_postgres(pid):
            await asyncio.sleep(0.1)
        if _pid_is_postgres(pid):
            raise ClusterError(f"a PostgreSQL (pid {pid}) still runs on {self.data_dir} and did not stop")

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        first = (data_dir / "postmaster.pid").read_text().splitlines()[0]
        pid = int(first.strip())
    except (OSError, ValueError, IndexError):
        return None
    return pid if _pid_is_postgres(pid) else None


def _pid_is_postgres(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"postgres" in cmdline.split(b"\0")[0]


async def _wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return True
        await asyncio.sleep(0.05)
    return proc.poll() is not None
