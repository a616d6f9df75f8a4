"""Issue 17 (items 1 and 3): `python -m ivr run` (what `make run` runs) as a supervisor.

Real processes on loopback: two state directories side by side without IVR_INSTANCE; a second start of a
running instance refuses and names it; kill -9 of the controller, Asterisk or the private PostgreSQL is
repaired within a liveness bound with /healthz all up; a new start after the supervisor died adopts the
running Asterisk and PostgreSQL, and a caller waiting in a queue stays.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ivr.config import instance_for
from runtime.asterisk import instance_dir_for
from tests.e2e.test_make_run import health, processes_mentioning
from tests.fixtures.asterisk import AmiProbe, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
REPO = Path(__file__).resolve().parents[2]
LIVENESS_S = 30         # a killed part is back, /healthz all up, within this


@dataclass
class Run:
    """One `python -m ivr run` on its own state directory and ports."""

    state: Path
    root: Path
    ports: dict[str, int] = field(default_factory=lambda: {k: free_port() for k in
                                                          ("http", "sip", "ami", "agi", "pg")})
    process: subprocess.Popen | None = None

    @property
    def instance(self) -> str:
        return instance_for(self.state)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "IVR_INSTANCE")}
        p = self.ports
        env.update(IVR_STATE_DIR=str(self.state), IVR_HTTP_PORT=str(p["http"]), IVR_SIP_PORT=str(p["sip"]),
                   IVR_AMI_PORT=str(p["ami"]), IVR_AGI_PORT=str(p["agi"]), IVR_PG_PORT=str(p["pg"]),
                   IVR_ASTERISK_ROOT=str(self.root), IVR_MENU_REPEATS="0")
        return env

    def start(self) -> subprocess.Popen:
        self.state.mkdir(parents=True, exist_ok=True)
        log = (self.state.parent / f"{self.state.name}-run.log").open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "ivr", "run"], cwd=REPO, env=self.env(),
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self.process

    def log(self) -> str:
        path = self.state.parent / f"{self.state.name}-run.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def wait_healthy(self, timeout: float) -> float:
        """Seconds until /healthz says up with every component up."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            status = health(self.ports["http"])
            if status and status.get("status") == "up" and set(status["components"].values()) == {"up"}:
                return time.monotonic() - started
            time.sleep(0.25)
        raise AssertionError(f"not healthy within {timeout} s: {health(self.ports['http'])}\n{self.log()}")

    def child(self, needle: str) -> int:
        """PID of the supervisor's child whose command line contains `needle`; 0 while there is none."""
        for pid in children(self.process.pid):
            if needle in cmdline(pid):
                return pid
        return 0

    def asterisk_pid(self) -> int:
        pid_file = instance_dir_for(self.root, self.instance) / "run" / "asterisk.pid"
        try:
            return int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return 0        # between two Asterisks

    def cli(self, command: str) -> str:
        conf = f"/var/lib/ivr1022/{self.instance}/etc/asterisk.conf"
        base = ["/usr/sbin/asterisk", "-C", conf, "-rx", command]
        argv = base if self.root == Path("/") else ["chroot", str(self.root), *base]
        return subprocess.run(argv, capture_output=True, text=True, timeout=15).stdout

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def clean_up(self) -> None:
        """Stop it, then SIGKILL by PID whatever of ours is left (Asterisk, PostgreSQL, controller)."""
        self.stop()
        for line in processes_mentioning(f"/{self.instance}/", str(self.state)):
            try:
                os.kill(int(line.split(":")[0]), signal.SIGKILL)
            except ProcessLookupError:
                pass
        data = self.state / "postgres"
        if data.is_symlink():   # relocated for the postgres user (runtime.postgres.data_dir_for)
            shutil.rmtree(data.resolve(), ignore_errors=True)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    if pid <= 0:
        return ""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and cmdline(pid):
        time.sleep(0.1)


def waiting_callers(run: Run, queue: str = "cdc") -> int:
    out = run.cli(f"queue show {queue}")
    first = out.strip().splitlines()[0] if out.strip() else ""
    return int(first.split(" has ")[1].split()[0]) if " has " in first else -1


def silent_caller(run: Run, number: str) -> None:
    """A caller who dials 1022 and presses nothing: with IVR_MENU_REPEATS=0 the default branch (2) puts it
    in the queue cdc, where it waits (no agent is signed in)."""
    async def originate() -> dict[str, str]:
        secret = (run.state / "secrets" / "ami_secret").read_text().strip()
        ami = await AmiProbe.connect(run.ports["ami"], "ivr1022", secret)
        try:
            return await ami.action({"Action": "Originate", "Channel": "Local/1022@from-trunk/n",
                                     "Application": "Wait", "Data": "300", "CallerID": number,
                                     "Async": "true"})
        finally:
            await ami.close()
    reply = asyncio.run(originate())
    assert reply.get("Response") == "Success", reply


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def runs(tmp_path: Path, asterisk_root: Path):
    made: list[Run] = []

    def make(name: str) -> Run:
        run = Run(tmp_path / name, asterisk_root)
        made.append(run)
        return run
    yield make
    for run in made:
        run.clean_up()


def test_two_state_dirs_side_by_side_and_a_second_start_refuses(runs):
    first, second = runs("first"), runs("second")
    assert first.instance != second.instance
    first.start()
    second.start()
    first.wait_healthy(300)
    second.wait_healthy(300)
    for run, number in ((first, "0911000001"), (second, "0911000002")):
        silent_caller(run, number)
    wait_for(lambda: waiting_callers(first) == 1 and waiting_callers(second) == 1, 40,
             "one caller waiting in each copy's queue")

    again = runs("first")           # the same state directory, other ports
    again.ports = {k: free_port() for k in again.ports}
    refused = again.start()
    assert refused.wait(timeout=60) == 3
    message = again.log()
    assert f"instance {first.instance} is already running" in message, message
    assert f"pid {first.process.pid}" in message and str(first.state) in message, message
    assert f"http {first.ports['http']}" in message, message

    for run in (first, second):
        assert run.process.poll() is None
        run.wait_healthy(10)
        assert waiting_callers(run) == 1, "a refused start must not touch the running copy"


def test_killed_parts_are_restarted_while_the_others_live(runs):
    run = runs("state")
    run.start()
    run.wait_healthy(300)
    postgres, asterisk, controller = run.child("postgres"), run.asterisk_pid(), run.child("ivr controller")
    assert postgres and asterisk and controller

    killed = kill_9(controller)
    wait_for(lambda: run.child("ivr controller") not in (0, controller), LIVENESS_S, "a new controller")
    print(f"controller back in {back_healthy(run, killed):.1f} s")
    assert (run.asterisk_pid(), run.child("postgres")) == (asterisk, postgres), "the others were touched"

    controller = run.child("ivr controller")
    killed = kill_9(asterisk)
    wait_for(lambda: run.asterisk_pid() != asterisk and cmdline(run.asterisk_pid()), LIVENESS_S, "a new Asterisk")
    print(f"Asterisk back in {back_healthy(run, killed):.1f} s")
    assert (run.child("ivr controller"), run.child("postgres")) == (controller, postgres)

    asterisk = run.asterisk_pid()
    killed = kill_9(postgres)
    wait_for(lambda: run.child("postgres") not in (0, postgres), LIVENESS_S, "a new PostgreSQL")
    print(f"PostgreSQL back in {back_healthy(run, killed):.1f} s")
    assert (run.child("ivr controller"), run.asterisk_pid()) == (controller, asterisk)
    silent_caller(run, "0911000003")
    wait_for(lambda: waiting_callers(run) == 1, 40, "a caller in the queue after the restarts")


def kill_9(pid: int) -> float:
    os.kill(pid, signal.SIGKILL)
    return time.monotonic()


def back_healthy(run: Run, since: float) -> float:
    """Seconds from the kill until /healthz is all up again; fails past LIVENESS_S."""
    run.wait_healthy(max(1.0, LIVENESS_S - (time.monotonic() - since)))
    return time.monotonic() - since


def test_a_new_run_adopts_asterisk_and_postgres_and_keeps_a_waiting_caller(runs):
    run = runs("state")
    run.start()
    run.wait_healthy(300)
    silent_caller(run, "0911000004")
    wait_for(lambda: waiting_callers(run) == 1, 40, "a caller waiting in the queue")
    asterisk, postgres, controller = run.asterisk_pid(), run.child("postgres"), run.child("ivr controller")

    os.kill(run.process.pid, signal.SIGKILL)        # the supervisor dies; its controller goes with it
    run.process.wait()
    wait_gone(controller)
    assert not cmdline(controller)
    assert cmdline(asterisk) and cmdline(postgres), "Asterisk and PostgreSQL outlive the supervisor"

    run.start()
    run.wait_healthy(120)
    assert run.asterisk_pid() == asterisk and cmdline(postgres), "adopted, not restarted"
    assert waiting_callers(run) == 1, "the waiting caller was dropped"
    assert "adopted the running Asterisk" in run.log()

    killed = kill_9(asterisk)                       # an adopted part is supervised too
    wait_for(lambda: run.asterisk_pid() != asterisk and cmdline(run.asterisk_pid()), LIVENESS_S,
             "the adopted Asterisk restarted")
    back_healthy(run, killed)

    run.stop()                                       # and stopped with the rest
    wait_gone(postgres, 30)
    assert processes_mentioning(f"/{run.instance}/", str(run.state)) == []
