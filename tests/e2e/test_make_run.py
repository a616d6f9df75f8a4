"""Issue 2: `make run` from a clean clone comes up with /healthz all up and stops on SIGTERM,
leaving no process behind (Asterisk and the private PostgreSQL included)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.fixtures.asterisk import free_port

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


def processes_mentioning(*needles: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(n in cmdline for n in needles) and str(os.getpid()) != entry.name:
            found.append(f"{entry.name}: {cmdline.strip()}")
    return found


def health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return json.load(response)
    except (OSError, ValueError) as exc:
        if hasattr(exc, "read"):  # 503 still carries the JSON body
            return json.loads(exc.read())
        return None


@pytest.fixture
def clean_clone(tmp_path: Path) -> Path:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=60)
    return clone


def test_make_run_comes_up_healthy_and_stops_on_sigterm(clean_clone: Path, tmp_path: Path):
    instance = f"mr{uuid.uuid4().hex[:8]}"
    state = tmp_path / "state"  # under /tmp/pytest-of-root (0700): PostgreSQL data goes to /var/lib/ivr1022
    http_port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(IVR_STATE_DIR=str(state), IVR_INSTANCE=instance, IVR_HTTP_PORT=str(http_port),
               IVR_SIP_PORT=str(free_port()), IVR_AMI_PORT=str(free_port()), IVR_AGI_PORT=str(free_port()),
               IVR_PG_PORT=str(free_port()), PIP_DISABLE_PIP_VERSION_CHECK="1")
    log = (tmp_path / "make-run.log").open("w")
    make = subprocess.Popen(["make", "run"], cwd=clean_clone, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        status = None
        deadline = time.monotonic() + 420
        while time.monotonic() < deadline and make.poll() is None:
            status = health(http_port)
            if status and status.get("status") == "up":
                break
            time.sleep(1)
        output = (tmp_path / "make-run.log").read_text()
        assert status and status["status"] == "up", f"not healthy: {status}\n{output[-3000:]}"
        assert set(status["components"].values()) == {"up"}, status
        assert {"asterisk", "ami", "agi", "database"} <= set(status["components"])
        assert processes_mentioning(instance), "Asterisk of this instance should be running"

        make.send_signal(signal.SIGTERM)
        make.wait(timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and processes_mentioning(instance, str(state), str(clean_clone)):
            time.sleep(0.5)
        assert processes_mentioning(instance, str(state), str(clean_clone)) == []
        assert health(http_port) is None
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
        for line in processes_mentioning(instance, str(state), str(clean_clone)):
            os.kill(int(line.split(":")[0]), signal.SIGKILL)
        log.close()
        data = state / "postgres"
        if data.is_symlink():  # relocated for the postgres user (runtime.postgres.data_dir_for)
            shutil.rmtree(data.resolve(), ignore_errors=True)
