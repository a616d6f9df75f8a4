"""`python -m ivr run` starts the whole system in the foreground (what `make run` does): a supervisor
that keeps PostgreSQL, Asterisk and the controller (a child process) running;
`python -m ivr controller` starts only the controller against a running Asterisk;
`python -m ivr asterisk` / `python -m ivr postgres` prepare one part and exec it (the systemd units);
`python -m ivr passwords` gives every agent a new long random SIP password (printed once).
SIGINT or SIGTERM stops everything that was started, in reverse order."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from ivr.config import Settings, SettingsError


def _die_with_parent() -> None:
    """`make run` is the supervisor's parent, the supervisor the controller's: make does not pass
    SIGTERM on to its recipe, so ask the kernel to send us SIGTERM when the parent goes away (Linux
    prctl PR_SET_PDEATHSIG), and stop cleanly. Asterisk and PostgreSQL do not ask: they outlive a
    killed supervisor, and the next `make run` adopts them."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ivr", description=__doc__)
    parser.add_argument("command", choices=["run", "controller", "asterisk", "postgres", "passwords"])
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    if args.command in ("run", "controller"):
        _die_with_parent()       # not for asterisk/postgres: the setting survives their exec
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"ivr: bad setting: {exc}", file=sys.stderr)
        return 2
    if args.command == "passwords":
        from ivr.passwords import main as passwords

        return passwords(settings)
    if args.command in ("asterisk", "postgres"):
        from ivr.foreground import exec_asterisk, exec_postgres

        (exec_asterisk if args.command == "asterisk" else exec_postgres)(settings)
    return asyncio.run(_serve(args.command, settings))


async def _serve(command: str, settings: Settings) -> int:
    from ivr.app import Controller
    from ivr.system import InstanceBusy, System
    from runtime.asterisk import etc_dir_for, log_dir_for, recordings_dir_for
    from runtime.sip_acl import ACL_FILE

    if command == "run":
        service: System | Controller = System(settings)
    else:
        from ivr.system import private_dsn

        database_url = settings.database_url or private_dsn(settings)   # the private cluster by default
        recordings = recordings_dir_for(settings.asterisk_root, settings.instance)
        raw_log = log_dir_for(settings.asterisk_root, settings.instance)   # absent files: nothing to load
        service = Controller(settings, database_url,
                             recordings_dir=recordings if recordings.parent.is_dir() else None,
                             sip_acl_path=etc_dir_for(settings.asterisk_root, settings.instance) / ACL_FILE,
                             asterisk_log_dir=raw_log)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await service.start()
        except InstanceBusy as exc:
            print(f"ivr: {exc}", file=sys.stderr)
            return 3
        if command == "run":
            _announce(settings)
        await stop.wait()
        logging.info("stopping…")
        return 0
    finally:
        await service.stop()
        logging.info("stopped")


def _announce(settings: Settings) -> None:
    print(f"1022 is up.\n  SIP (trunk, dial 1022): udp 127.0.0.1:{settings.sip_port}\n"
          f"  Console: http://{settings.http_host}:{settings.http_port}/\n"
          f"  Health:  http://{settings.http_host}:{settings.http_port}/healthz\n"
          "  Stop with Ctrl-C.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
