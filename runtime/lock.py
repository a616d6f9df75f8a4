"""One running copy per instance: an exclusive flock on lock files that also say who holds them.

The supervisor (`python -m ivr run`) holds `<state>/supervisor.lock` and the Asterisk instance's
`supervisor.lock` for as long as it runs; the kernel drops the locks when the process dies, however it
dies, so a stale file never blocks a start. A second start finds a lock taken and refuses, naming the
holder (pid, ports, state directory) from the JSON the holder wrote into the file.
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any


class InstanceBusy(RuntimeError):
    """Another process runs this instance; the message names it."""


class RunLock:
    def __init__(self, paths: list[Path], holder: dict[str, Any]) -> None:
        self.paths = [Path(p) for p in paths]
        self.holder = holder
        self._fds: list[int] = []

    def acquire(self) -> None:
        try:
            for path in self.paths:
                self._fds.append(self._take(path))
        except BaseException:
            self.release()
            raise

    def _take(self, path: Path) -> int:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InstanceBusy(describe_holder(path)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(self.holder) + "\n").encode(), 0)
        return fd

    def release(self) -> None:
        fds, self._fds = self._fds, []
        for fd in fds:
            os.close(fd)        # closing drops the flock; the file stays (its content is stale, harmless)


def describe_holder(path: Path) -> str:
    try:
        holder = json.loads(Path(path).read_text() or "{}")
    except (OSError, ValueError):
        holder = {}
    if not holder:
        return f"another process holds {path}"
    ports = ", ".join(f"{k} {v}" for k, v in holder.get("ports", {}).items())
    return (f"1022 instance {holder.get('instance', '?')} is already running: pid {holder.get('pid', '?')}, "
            f"state dir {holder.get('state_dir', '?')}, ports {ports} (lock {path}). "
            f"Stop it first (Ctrl-C in its terminal, or kill -TERM {holder.get('pid', '<pid>')}), "
            "or start this copy with another IVR_STATE_DIR.")
