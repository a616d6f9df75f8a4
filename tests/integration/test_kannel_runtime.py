"""runtime/kannel.py on the real bearerbox and smsbox: started as our children on loopback ports,
restarted after one dies (as ivr/system.py's watch does), stopped by PID."""
from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest

from runtime.kannel import KannelGateway, KannelOptions
from tests.ports import free_port
from tests.waiting import until

pytestmark = pytest.mark.integration


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


async def test_kannel_starts_restarts_and_stops_by_pid(tmp_path):
    options = KannelOptions(admin_port=free_port(), smsbox_port=free_port(), sendsms_port=free_port(),
                            smsc_port=free_port(), inbound_url="http://127.0.0.1:9/api/v1/sms/inbound?secret=x",
                            dlr_url="http://127.0.0.1:9/api/v1/sms/delivery?secret=x", send_password="pw",
                            admin_password="pw")
    kannel = KannelGateway(tmp_path, options)
    try:
        await kannel.start()
        first = kannel.pids
        assert len(first) == 2 and all(alive(p) for p in first) and kannel.running
        assert all(listening(p) for p in (options.admin_port, options.smsbox_port, options.sendsms_port,
                                          options.smsc_port))
        assert oct(kannel.conf_file.stat().st_mode & 0o777) == "0o600"
        os.kill(first[1], signal.SIGKILL)                                  # smsbox dies
        await until(lambda: not kannel.running, 10, "the watch to see smsbox gone")
        await kannel.start()
        assert kannel.running and set(kannel.pids).isdisjoint(first)
        assert not alive(first[0])                                         # the old bearerbox was stopped
    finally:
        pids = kannel.pids
        await kannel.stop()
    assert not kannel.running and not any(alive(p) for p in pids)
    assert not listening(options.sendsms_port)
