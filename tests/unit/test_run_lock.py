"""The run lock (runtime/lock.py) and the default instance name (ivr/config.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from ivr.config import Settings, instance_for
from runtime.lock import InstanceBusy, RunLock


def holder(pid: int) -> dict:
    return {"pid": pid, "instance": "sabc", "state_dir": "/srv/a", "ports": {"http": 8080, "sip": 5060}}


def test_a_second_lock_refuses_naming_the_holder(tmp_path: Path):
    first = RunLock([tmp_path / "a.lock", tmp_path / "b.lock"], holder(111))
    first.acquire()
    second = RunLock([tmp_path / "x.lock", tmp_path / "b.lock"], holder(222))
    with pytest.raises(InstanceBusy) as refused:
        second.acquire()
    message = str(refused.value)
    assert "instance sabc is already running: pid 111, state dir /srv/a, ports http 8080, sip 5060" in message
    assert "kill -TERM 111" in message
    # the refused one let go of what it had taken
    RunLock([tmp_path / "x.lock"], holder(333)).acquire()
    first.release()
    again = RunLock([tmp_path / "a.lock", tmp_path / "b.lock"], holder(444))
    again.acquire()
    assert '"pid": 444' in (tmp_path / "b.lock").read_text()
    again.release()


def test_the_default_instance_is_named_after_the_state_directory(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert instance_for(a) == instance_for(tmp_path / "x" / ".." / "a") != instance_for(b)
    assert Settings.from_env({"IVR_STATE_DIR": str(a)}).instance == instance_for(a)
    assert Settings.from_env({"IVR_STATE_DIR": str(a), "IVR_INSTANCE": "main"}).instance == "main"
