"""One Asterisk instance: rendered config under <root>/var/lib/ivr1022/<name>/, one child process.

`root` is where Asterisk lives: Path("/") for a native install, or the Debian-testing chroot
built by scripts/asterisk-root.sh. Each instance has its own etc, spool, run (control socket),
log and data directories, so several run side by side on different ports.
"""
from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from runtime.asterisk_config import (
    AgentEndpoint,
    DbParams,
    InstanceLayout,
    InstanceRenderer,
    PbxOptions,
    in_root,
)

__all__ = ["AgentEndpoint", "AsteriskError", "AsteriskInstance", "DbParams", "PbxOptions",
           "instance_dir_for", "recordings_dir_for"]

ASTERISK_BIN = "/usr/sbin/asterisk"
CLI_TIMEOUT_S = 15.0


class AsteriskError(RuntimeError):
    """Asterisk failed to start, stop or answer; the message carries the log tail."""


class AsteriskInstance:
    def __init__(self, root: Path, name: str, options: PbxOptions) -> None:
        if not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"instance name must be letters, digits, - or _: {name!r}")
        self.root = Path(root)
        self.name = name
        self.options = options
        self.layout = InstanceLayout(f"/var/lib/ivr1022/{name}")
        self._process: asyncio.subprocess.Process | None = None
        self._adopted_pid: int | None = None    # an Asterisk of this instance that an earlier run started

    # -- paths -----------------------------------------------------------------------

    def host_path(self, path_in_root: str) -> Path:
        return in_root(self.root, path_in_root)

    @property
    def native(self) -> bool:
        return self.root == Path("/")

    @property
    def dir(self) -> Path:
        return self.host_path(self.layout.base)

    @property
    def recordings_dir(self) -> Path:
        """Host path of MixMonitor recordings: <linkedid>.wav."""
        return self.host_path(self.layout.recordings)

    @property
    def messages_dir(self) -> Path:
        """Host path of callers' messages (Record() after the maximum wait): <linkedid>.wav."""
        return self.host_path(self.layout.messages)

    @property
    def log_dir(self) -> Path:
        return self.host_path(self.layout.log)

    @property
    def etc_dir(self) -> Path:
        return self.host_path(self.layout.etc)

    @property
    def queue_log_file(self) -> Path:
        """Where queue_log goes when the instance has no database."""
        return self.log_dir / "queue_log"

    # -- config ----------------------------------------------------------------------

    def render(self) -> None:
        InstanceRenderer(self.root, self.layout, self.options).render()

    def foreground_command(self) -> tuple[list[str], dict[str, str]]:
        """argv and environment of `asterisk -f` for this instance, for a service manager (systemd) to
        run as its own process: `python -m ivr asterisk` renders, then execs this."""
        return self._scheduling() + self._command("-f", "-n"), self._env()   # nice only: no batch

    def _scheduling(self) -> list[str]:
        """`nice -n N`: every thread Asterisk starts inherits the lower priority, so on a saturated
        machine the controller (normal priority, a tenth of Asterisk's CPU) runs first and the
        console stays live; Asterisk gets what is left, nearly all of it (docs/performance.md)."""
        return ["nice", "-n", str(self.options.nice)] if self.options.nice > 0 else []

    def apply_priority(self, nice: int) -> None:
        """Every current thread at this niceness, under SCHED_BATCH when nice > 0 (SCHED_OTHER at 0);
        threads Asterisk creates later inherit it from their creator. Called once booted (Asterisk
        sets SCHED_OTHER itself at start-up, so `chrt --batch` before exec would not stick), and by
        the bench to switch it on a running instance."""
        pid = self.pid
        if pid is None:
            return
        policy = os.SCHED_BATCH if nice > 0 else os.SCHED_OTHER
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                os.setpriority(os.PRIO_PROCESS, int(tid), nice)
                os.sched_setscheduler(int(tid), policy, os.sched_param(0))
            except OSError:          # a thread that ended meanwhile
                pass

    def _command(self, *args: str) -> list[str]:
        base = [ASTERISK_BIN, "-C", self.layout.asterisk_conf, *args]
        return base if self.native else ["chroot", str(self.root), *base]

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update({"PGTZ": "UTC", "TZ": "UTC", "LANG": "C.UTF-8", "HOME": "/root"})
        env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
        return env

    # -- process ---------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        if self._adopted_pid is not None:
            return self._adopted_pid
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        if self._adopted_pid is not None:
            return _is_asterisk(self._adopted_pid)
        return self._process is not None and self._process.returncode is None

    @property
    def adopted(self) -> bool:
        return self._adopted_pid is not None

    async def adopt(self) -> bool:
        """Take over an Asterisk of this instance left running by an earlier run (its supervisor died):
        when its control socket answers and its pid file names a live asterisk, keep it as it is
        (calls in progress go on) and return True; stop() then stops it like our own child."""
        if self.running:
            return True
        socket = self.host_path(self.layout.ctl_socket)
        pid_file = self.host_path(f"{self.layout.run}/asterisk.pid")
        if not socket.exists():
            return False
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return False
        if not _is_asterisk(pid):
            return False
        try:
            out = await self._run_cli("core show version", timeout=5)
        except AsteriskError:
            return False
        if not out.startswith("Asterisk"):
            return False
        self._adopted_pid = pid
        return True

    async def start(self, timeout: float = 30, replace_stale: bool = True) -> None:
        """Start `asterisk -f` (own process group) and wait until it is fully booted.

        An Asterisk left over from a crashed run of this instance (its control socket answers)
        is asked to `core stop now` first when replace_stale, else start() refuses."""
        if self.running:
            raise AsteriskError(f"instance {self.name} is already running (pid {self.pid})")
        self._adopted_pid = None
        if not self.host_path(self.layout.asterisk_conf).exists():
            self.render()
        socket = self.host_path(self.layout.ctl_socket)
        if socket.exists():
            await self._handle_stale(replace_stale)
            if socket.exists():
                socket.unlink()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        (self.log_dir / "cel-custom").mkdir(exist_ok=True)   # cel_custom does not create its directory
        console = self.log_dir / "console.log"
        with open(console, "ab") as out:
            self._process = await asyncio.create_subprocess_exec(
                *self._scheduling(), *self._command("-f", "-n"),
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out,
                env=self._env(), start_new_session=True,
            )
        try:
            await asyncio.wait_for(self._wait_booted(), timeout)
            if self.options.nice > 0:
                self.apply_priority(self.options.nice)
        except (asyncio.TimeoutError, AsteriskError) as exc:
            tail = self.log_tail()
            await self.stop()
            raise AsteriskError(f"Asterisk instance {self.name} did not boot within "
                                f"{timeout:.0f} s ({exc!r}).\n{tail}") from None

    async def _handle_stale(self, replace: bool) -> None:
        try:
            out = await self._run_cli("core show version", timeout=5)
        except AsteriskError:
            return                                  # a dead socket file: nobody answers
        if not out.startswith("Asterisk"):
            return
        if not replace:
            raise AsteriskError(f"another Asterisk already serves instance {self.name} "
                                f"({self.layout.ctl_socket}); stop it first")
        try:
            await self._run_cli("core stop now", timeout=10)
        except AsteriskError:
            pass                                    # it hung up on us while stopping
        socket = self.host_path(self.layout.ctl_socket)
        for _ in range(100):
            if not socket.exists():
                return
            await asyncio.sleep(0.1)
        raise AsteriskError(f"the stale Asterisk of instance {self.name} did not stop")

    async def _wait_booted(self) -> None:
        socket = self.host_path(self.layout.ctl_socket)
        while True:
            if not self.running:
                raise AsteriskError(f"asterisk exited with code {self._process.returncode}")
            if socket.exists():
                try:
                    out = await self._run_cli("core waitfullybooted", timeout=CLI_TIMEOUT_S)
                except AsteriskError:
                    out = ""
                # A boot that fails after the control socket is up disconnects us silently.
                if "fully booted" in out and self.running:
                    return
            await asyncio.sleep(0.1)

    async def stop(self, timeout: float = 10) -> None:
        """SIGTERM the process group by our PID, SIGKILL after `timeout`, reap. Idempotent."""
        if self._adopted_pid is not None:
            await self._stop_adopted(timeout)
            return
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            self._signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except asyncio.TimeoutError:
                self._signal(signal.SIGKILL)
                await process.wait()
        self._kill_leftovers()
        socket = self.host_path(self.layout.ctl_socket)
        if socket.exists():
            socket.unlink()

    async def _stop_adopted(self, timeout: float) -> None:
        pid = self._adopted_pid
        for signum, wait_s in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            if not _is_asterisk(pid):
                break
            self._signal(signum)
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline and _is_asterisk(pid):
                await asyncio.sleep(0.1)
        self._kill_leftovers()
        self._adopted_pid = None
        socket = self.host_path(self.layout.ctl_socket)
        if socket.exists():
            socket.unlink()

    def forget(self) -> None:
        """After the process died: the next start() starts a fresh one."""
        self._adopted_pid = None

    def kill(self) -> None:
        """SIGKILL (tests of crash handling). Reaped by a later stop() or the event loop."""
        if self.running:
            self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        pid = self.pid
        if pid is None:
            return
        try:
            os.killpg(pid, signum)      # our own process group (start_new_session)
        except ProcessLookupError:
            pass

    def _kill_leftovers(self) -> None:
        """Children of Asterisk (System(), AGI scripts) share its process group."""
        if self.pid is not None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    # -- control ---------------------------------------------------------------------

    async def cli(self, command: str) -> str:
        """`asterisk -C … -rx command` against this instance's control socket."""
        if not self.running:
            raise AsteriskError(f"instance {self.name} is not running")
        return await self._run_cli(command)

    async def _run_cli(self, command: str, timeout: float = CLI_TIMEOUT_S) -> str:
        process = await asyncio.create_subprocess_exec(
            *self._command("-rx", command),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, env=self._env(), start_new_session=True,
        )
        try:
            out, _ = await asyncio.wait_for(process.communicate(), timeout)
        except asyncio.TimeoutError:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            await process.wait()
            raise AsteriskError(f"`{command}` took longer than {timeout} s") from None
        text = out.decode("utf-8", "replace")
        if process.returncode != 0 or "Unable to connect to remote asterisk" in text:
            raise AsteriskError(f"`{command}` failed ({process.returncode}): {text.strip()}")
        return text

    async def reload(self, module: str) -> None:
        """Re-read one module's config (render() first), e.g. res_pjsip.so after agents changed."""
        out = await self.cli(f"module reload {module}")
        if "not found" in out.lower() or "failed" in out.lower():
            raise AsteriskError(f"reload of {module} failed: {out.strip()}")

    async def wait_until(self, command: str, needle: str, timeout: float = 10,
                         interval: float = 0.2) -> str:
        """Poll a CLI command until its output contains `needle` (tests, start-up checks)."""
        deadline = time.monotonic() + timeout
        while True:
            out = await self.cli(command)
            if needle in out:
                return out
            if time.monotonic() > deadline:
                raise AsteriskError(f"`{command}` never showed {needle!r}; last output:\n{out}")
            await asyncio.sleep(interval)

    def log_tail(self, lines: int = 40) -> str:
        chunks = []
        for name in ("messages.log", "console.log"):
            path = self.log_dir / name
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                chunks.append(f"--- {path} ---\n" + "\n".join(text))
        return "\n".join(chunks) or "(no log)"


def instance_dir_for(root: Path, name: str) -> Path:
    """Host path of an instance's directory (AsteriskInstance.dir) before its options are known."""
    return in_root(Path(root), InstanceLayout(f"/var/lib/ivr1022/{name}").base)


def etc_dir_for(root: Path, name: str) -> Path:
    """Host path of an instance's Asterisk configuration (the controller writes the SIP bans' ACL there)."""
    return in_root(Path(root), InstanceLayout(f"/var/lib/ivr1022/{name}").etc)


def log_dir_for(root: Path, name: str) -> Path:
    """Host path of an instance's log folder (the raw facts' local files: cel-custom/cel.csv, queue_log)."""
    return in_root(Path(root), InstanceLayout(f"/var/lib/ivr1022/{name}").log)


def recordings_dir_for(root: Path, name: str) -> Path:
    """Host path of an instance's MixMonitor recordings, without an AsteriskInstance (the controller
    started on its own needs it to serve recordings)."""
    return in_root(Path(root), InstanceLayout(f"/var/lib/ivr1022/{name}").recordings)


def _is_asterisk(pid: int | None) -> bool:
    """A live (not zombie) process running asterisk; /proc/<pid>/cmdline is empty for a zombie."""
    if pid is None:
        return False
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return False
    return argv0.endswith(b"asterisk") or argv0.endswith(b"chroot")
