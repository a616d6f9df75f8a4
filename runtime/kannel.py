"""Kannel, the SMS gateway (issue 14): bearerbox and smsbox as our children, config generated.

`KannelGateway(state_dir, options)` renders <state>/kannel/kannel.conf and starts bearerbox, then
smsbox, each in its own session so a Ctrl-C reaches them only through stop(); stop() ends smsbox
then bearerbox by PID (SIGTERM, SIGKILL after a timeout). Every port listens on 127.0.0.1 only.

- MO (a citizen's SMS): the SMSC hands it to bearerbox, smsbox calls the console's
  /api/v1/sms/inbound (`sms-service` get-url) and sends the HTTP reply body back as an SMS.
  `mo-recode` turns UCS-2 messages into UTF-8 before the URL is built, so Vietnamese arrives intact.
- MT (an agent's reply): the console calls smsbox's sendsms interface (`send_url`); bearerbox
  reports delivery to the console's dlr-url.
- The SMSC: without `smsc_file` a fake SMSC listens on 127.0.0.1:smsc_port (Kannel's `fakesmsc`
  connects there: the tests and a demo); with it, that file's `group = smsc` (a real operator's
  SMPP/HTTP link, docs/sms.md) is included instead.
- The Debian package may run its own kannel service on the default ports (13000-13013): ours uses
  its own ports and config and never touches that one.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"


class KannelError(RuntimeError):
    """bearerbox or smsbox failed to start; the message carries the log tail."""


@dataclass(frozen=True)
class KannelOptions:
    admin_port: int
    smsbox_port: int               # bearerbox <-> smsbox
    sendsms_port: int              # the console sends MT messages here
    smsc_port: int                 # the fake SMSC (without smsc_file)
    inbound_url: str               # the console's /api/v1/sms/inbound, secret included
    dlr_url: str                   # the console's /api/v1/sms/delivery, secret included
    send_user: str = "ivr1022"
    send_password: str = field(default="", repr=False)
    admin_password: str = field(default="", repr=False)
    number: str = "1022"           # the hotline's SMS number: the sender of our messages
    smsc_file: Path | None = None  # a file holding a real `group = smsc`; None: the fake SMSC

    @property
    def send_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"


def kannel_conf(options: KannelOptions, log_dir: Path) -> str:
    """The whole kannel.conf. `%` starts a Kannel escape in URLs: the URLs we pass contain none."""
    o = options
    inbound = (f"{o.inbound_url}&gateway=kannel&from=%p&to=%P&text=%a&id=%I&coding=%c&charset=%C&udh=%u")
    smsc = (f'include = "{o.smsc_file}"\n' if o.smsc_file is not None else
            f"group = smsc\nsmsc = fake\nsmsc-id = fake\nour-host = 127.0.0.1\nport = {o.smsc_port}\n"
            "connect-allow-ip = 127.0.0.1\n")
    return f"""# Written by runtime/kannel.py; edits are overwritten at the next start.
group = core
admin-port = {o.admin_port}
admin-interface = 127.0.0.1
admin-password = {o.admin_password}
admin-allow-ip = 127.0.0.1
smsbox-port = {o.smsbox_port}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{log_dir}/bearerbox.log"
log-level = 1
access-log = "{log_dir}/access.log"
dlr-storage = internal
store-type = spool
store-location = "{log_dir.parent}/store"
sms-combine-concatenated-mo = true

{smsc}
group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {o.smsbox_port}
sendsms-port = {o.sendsms_port}
sendsms-interface = 127.0.0.1
global-sender = {o.number}
log-file = "{log_dir}/smsbox.log"
log-level = 1
mo-recode = true
http-request-retry = 3
http-queue-delay = 5

group = sendsms-user
username = {o.send_user}
password = {o.send_password}
user-allow-ip = 127.0.0.1
concatenation = true
max-messages = 6

group = sms-service
keyword = default
catch-all = true
get-url = "{inbound}"
max-messages = 3
concatenation = true
omit-empty = true
"""


class KannelGateway:
    """bearerbox + smsbox of one state directory, while running: our two child processes."""

    def __init__(self, state_dir: Path, options: KannelOptions, *, start_timeout_s: float = 30.0,
                 stop_timeout_s: float = 10.0) -> None:
        self.dir = Path(state_dir) / "kannel"
        self.options = options
        self._start_timeout_s = start_timeout_s
        self._stop_timeout_s = stop_timeout_s
        self._bearerbox: subprocess.Popen[bytes] | None = None
        self._smsbox: subprocess.Popen[bytes] | None = None

    @property
    def conf_file(self) -> Path:
        return self.dir / "kannel.conf"

    @property
    def log_dir(self) -> Path:
        return self.dir / "log"

    @property
    def running(self) -> bool:
        return all(p is not None and p.poll() is None for p in (self._bearerbox, self._smsbox))

    @property
    def pids(self) -> tuple[int, ...]:
        return tuple(p.pid for p in (self._bearerbox, self._smsbox) if p is not None and p.poll() is None)

    def render(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "store").mkdir(exist_ok=True)
        fd = os.open(self.conf_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # it holds passwords
        with os.fdopen(fd, "w") as out:
            out.write(kannel_conf(self.options, self.log_dir))

    async def start(self) -> None:
        """Render, start bearerbox, wait for its smsbox port, start smsbox, wait for sendsms."""
        if self.running:
            return
        await self.stop()
        self.render()
        self._bearerbox = self._spawn(BEARERBOX, "bearerbox")
        try:
            await self._wait_port(self.options.smsbox_port, self._bearerbox, "bearerbox")
            self._smsbox = self._spawn(SMSBOX, "smsbox")
            await self._wait_port(self.options.sendsms_port, self._smsbox, "smsbox")
        except BaseException:
            await self.stop()
            raise
        log.info("Kannel up: bearerbox pid %d, smsbox pid %d, sendsms 127.0.0.1:%d",
                 self._bearerbox.pid, self._smsbox.pid, self.options.sendsms_port)

    async def stop(self) -> None:
        """smsbox first (it flushes to bearerbox), then bearerbox; idempotent."""
        for attr in ("_smsbox", "_bearerbox"):
            proc = getattr(self, attr)
            setattr(self, attr, None)
            if proc is not None:
                await _end(proc, self._stop_timeout_s)

    def _spawn(self, binary: str, name: str) -> subprocess.Popen[bytes]:
        with open(self.log_dir / f"{name}.out", "ab") as out:
            return subprocess.Popen([binary, str(self.conf_file)], stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=out, cwd=self.dir, start_new_session=True)

    async def _wait_port(self, port: int, proc: subprocess.Popen[bytes], name: str) -> None:
        deadline = time.monotonic() + self._start_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise KannelError(f"{name} exited ({proc.returncode}) during start-up:\n{self._log_tail(name)}")
            if await asyncio.to_thread(_answers, port):
                return
            await asyncio.sleep(0.1)
        raise KannelError(f"{name} did not listen on 127.0.0.1:{port} within {self._start_timeout_s:.0f}s:\n"
                          f"{self._log_tail(name)}")

    def _log_tail(self, name: str, lines: int = 15) -> str:
        text = ""
        for path in (self.log_dir / f"{name}.out", self.log_dir / f"{name}.log"):
            try:
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
            except OSError:
                pass
        return text or "(no log)"


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


async def _end(proc: subprocess.Popen[bytes], timeout: float) -> None:
    for sig, wait_s in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            return
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and proc.poll() is None:
            await asyncio.sleep(0.05)
