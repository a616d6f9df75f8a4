"""Issue 17 (item 3): the systemd units of deploy/systemd/ supervise like `make run`.

No systemd runs here, so the test does what the units say: each unit's ExecStart is started as a process of
its own, with the unit's environment; after kill -9 of one, its ExecStart is started again (Restart=on-failure)
and the system is healthy within the liveness bound while the other two processes are untouched. Because
`python -m ivr asterisk|postgres` exec the server, the PID a unit watches is the server's own.
"""
from __future__ import annotations

import configparser
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.test_supervise import LIVENESS_S, Run, cmdline, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "deploy" / "systemd"
PARTS = ("postgres", "asterisk", "controller")


def unit(part: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(UNITS / f"ivr1022-{part}.service")
    return parser


def healthy(run: Run) -> bool:
    try:
        run.wait_healthy(0.1)
        return True
    except AssertionError:
        return False


def test_each_part_is_a_unit_restarted_on_failure_and_bound_to_no_other():
    target = (UNITS / "ivr1022.target").read_text()
    for part in PARTS:
        u = unit(part)
        assert u["Service"]["Restart"] == "on-failure"
        assert u["Service"]["ExecStart"].endswith(f"-m ivr {part}")
        assert "BindsTo" not in u["Unit"] and "Requires" not in u["Unit"], "a restart must not take others down"
        assert f"ivr1022-{part}.service" in target


class Units:
    """The three ExecStart commands, run the way systemd would: own session, the unit's environment."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, part: str) -> int:
        command = unit(part)["Service"]["ExecStart"].split()
        assert command[0] == "/opt/ivr1022/.venv/bin/python"
        env = {**self.run.env(), "IVR_INSTANCE": self.run.instance}
        log = (self.run.state.parent / f"unit-{part}.log").open("ab")
        self.processes[part] = subprocess.Popen([sys.executable, *command[1:]], cwd=REPO, env=env,
                                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self.processes[part].pid

    def restart_on_failure(self, part: str, until, timeout: float) -> None:
        """Restart=on-failure, RestartSec=2s: start the part again whenever it has failed, until `until()`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[part]
            if process.poll() is not None and process.returncode != 0:
                time.sleep(2)
                self.start(part)
            if until():
                return
            time.sleep(0.25)
        raise AssertionError(f"{part} not back within {timeout} s: "
                             f"{(self.run.state.parent / f'unit-{part}.log').read_text()[-3000:]}")

    def pids(self) -> dict[str, int]:
        return {part: p.pid for part, p in self.processes.items() if p.poll() is None}

    def stop(self) -> None:
        for part, stop_signal in (("controller", signal.SIGTERM), ("asterisk", signal.SIGTERM),
                                  ("postgres", signal.SIGINT)):     # the units' KillSignal
            process = self.processes.get(part)
            if process is not None and process.poll() is None:
                process.send_signal(stop_signal)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def test_a_killed_unit_started_again_brings_the_system_back(tmp_path: Path, asterisk_root: Path):
    run = Run(tmp_path / "state", asterisk_root)
    run.state.mkdir(parents=True)
    units = Units(run)
    try:
        for part in PARTS:
            units.start(part)
        units.restart_on_failure("asterisk", until=lambda: healthy(run), timeout=300)
        asterisk = units.pids()["asterisk"]
        assert "asterisk -C" in cmdline(asterisk), "the unit's process is Asterisk itself (exec)"
        assert "postgres -D" in cmdline(units.pids()["postgres"])

        for part in PARTS:
            others = {p: pid for p, pid in units.pids().items() if p != part}
            os.kill(units.pids()[part], signal.SIGKILL)
            killed_at = time.monotonic()
            wait_for(lambda: part not in units.pids(), 10, f"{part} to die")
            assert units.processes[part].returncode == -signal.SIGKILL     # a failure: Restart=on-failure
            units.restart_on_failure(part, until=lambda: healthy(run), timeout=LIVENESS_S)
            print(f"{part} unit back in {time.monotonic() - killed_at:.1f} s")
            assert {p: pid for p, pid in units.pids().items() if p != part} == others
    finally:
        units.stop()
        run.clean_up()
