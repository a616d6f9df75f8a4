"""What the systemd units run (deploy/systemd/): each part as the unit's own foreground process, so
systemd restarts the one that died (Restart=on-failure) and leaves the others running.

- `python -m ivr postgres` — initdb on first start, then exec the private PostgreSQL (as the `postgres`
  user when started as root);
- `python -m ivr asterisk` — the schema, demo people and prompts (PostgreSQL may still be starting: it
  waits), the instance's rendered configuration, then exec `asterisk -f` (in the chroot unless native).

`exec` replaces this Python process: the PID systemd watches is the server's own.
"""
from __future__ import annotations

import asyncio
import os
import pwd

from ivr.config import Settings
from ivr.system import DATABASE_NAME, prepared_asterisk, private_dsn, render
from runtime.postgres import PrivateCluster, data_dir_for


def exec_postgres(settings: Settings) -> None:
    if settings.database_url:
        raise SystemExit("ivr: DATABASE_URL is set: there is no private PostgreSQL to run")
    cluster = PrivateCluster(data_dir_for(settings.state_dir), settings.pg_port)
    argv, user = asyncio.run(cluster.prepare())
    if user is not None:
        entry = pwd.getpwnam(user)
        os.setgroups([])
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
    os.chdir("/")
    os.execv(argv[0], argv)


def exec_asterisk(settings: Settings) -> None:
    async def prepare():
        url = settings.database_url
        if not url:
            cluster = PrivateCluster(data_dir_for(settings.state_dir), settings.pg_port)
            await _wait_for(cluster.create_database, DATABASE_NAME)
            url = private_dsn(settings)
        pbx = await prepared_asterisk(settings, url)
        render(pbx, settings)
        return pbx

    pbx = asyncio.run(prepare())
    socket = pbx.host_path(pbx.layout.ctl_socket)
    if socket.exists():
        socket.unlink()          # left by a killed Asterisk; systemd has made sure it is gone
    pbx.log_dir.mkdir(parents=True, exist_ok=True)
    (pbx.log_dir / "cel-custom").mkdir(exist_ok=True)   # cel_custom (raw facts on disk) does not create it
    argv, env = pbx.foreground_command()
    os.execvpe(argv[0], argv, env)


async def _wait_for(step, *args, attempts: int = 60) -> None:
    for attempt in range(attempts):
        try:
            return await step(*args)
        except Exception:       # not up yet: refused, starting up, shutting down
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)
