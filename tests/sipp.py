"""Bounded sipp runs for end-to-end tests: callers with RFC 2833 DTMF, agents, a 115 stand-in.

Every run has -m (a call count), a wall-clock timeout and its own process group; `SippRunner`
keeps every process it started and kills them by PID on close. Scenarios live in tests/sipp/;
the per-run values that sipp cannot take as keywords (which DTMF recordings to play, hold and
talk times inside recv timeouts) are written into a copy of the scenario.
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SCENARIOS = Path(__file__).resolve().parent / "sipp"
PCAP_DIR = Path("/usr/share/sip-tester")
SIPP = shutil.which("sipp") or "/usr/bin/sipp"
PCAP_NAMES = {"*": "star", "#": "pound"}
DTMF_LINE = '<exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_2.pcap"/>'
BYE_WAIT = re.compile(r'(<recv request="BYE" timeout=")(\d+)(")')


class SippError(RuntimeError):
    pass


def free_udp_port(pair: bool = False) -> int:
    """A free UDP port on 127.0.0.1 (with pair=True, port+2 is free too: sipp's video port)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port % 2 or port > 65000:
            continue
        try:
            for candidate in ((port, port + 1, port + 2, port + 3) if pair else (port,)):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                    probe.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise SippError("no free UDP port on 127.0.0.1")


@dataclass
class SippProcess:
    name: str
    process: asyncio.subprocess.Process
    workdir: Path
    local_port: int
    timeout: float
    returncode: int | None = field(default=None)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def wait(self, timeout: float | None = None) -> int:
        """Exit code (0: every call succeeded). Kills the run if it outlives the timeout."""
        try:
            self.returncode = await asyncio.wait_for(self.process.wait(),
                                                     timeout or self.timeout)
        except asyncio.TimeoutError:
            self.kill()
            await self.process.wait()
            raise SippError(f"sipp {self.name} still running after {timeout or self.timeout} s;"
                            f" killed.\n{self.errors()}") from None
        return self.returncode

    def kill(self) -> None:
        if self.process.returncode is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def errors(self) -> str:
        """sipp's error log and the last messages it exchanged (for assertion messages)."""
        chunks = []
        for pattern in ("*_errors.log", "*_messages.log", "stdout.log"):
            for path in sorted(self.workdir.glob(pattern)):
                text = path.read_text(errors="replace")
                chunks.append(f"--- {path.name} ---\n{text[-3000:]}")
        return "\n".join(chunks) or "(no sipp logs)"


class SippRunner:
    """Starts sipp processes against one Asterisk SIP port and cleans them all up."""

    def __init__(self, asterisk_sip_port: int) -> None:
        self.asterisk = f"127.0.0.1:{asterisk_sip_port}"
        self.processes: list[SippProcess] = []
        self._workroot = Path(tempfile.mkdtemp(prefix="ivr1022-sipp-"))
        self._count = 0

    async def __aenter__(self) -> "SippRunner":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def close(self) -> None:
        for run in self.processes:
            run.kill()
            await run.process.wait()
        shutil.rmtree(self._workroot, ignore_errors=True)

    def _scenario(self, name: str, workdir: Path, *, digits: str | None = None,
                  bye_wait_ms: int | None = None) -> Path:
        text = (SCENARIOS / name).read_text()
        if digits is not None:
            text = text.replace(DTMF_LINE, _dtmf_actions(digits))
        if bye_wait_ms is not None:
            text = BYE_WAIT.sub(lambda m: f"{m[1]}{bye_wait_ms}{m[3]}", text)
        path = workdir / name
        path.write_text(text)
        return path

    async def _start(self, label: str, scenario: Path, workdir: Path, args: list[str],
                     local_port: int, timeout: float, target: str | None = None) -> SippProcess:
        command = [SIPP, "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(local_port),
                   "-t", "u1", "-nostdin", "-trace_err", "-trace_msg",
                   "-timeout", f"{int(timeout)}s", "-timeout_error", *args]
        if target:
            command.append(target)
        with open(workdir / "stdout.log", "wb") as out:
            process = await asyncio.create_subprocess_exec(
                *command, cwd=workdir, stdin=asyncio.subprocess.DEVNULL, stdout=out,
                stderr=asyncio.subprocess.STDOUT, start_new_session=True)
        run = SippProcess(label, process, workdir, local_port, timeout + 5)
        self.processes.append(run)
        return run

    def _workdir(self, label: str) -> Path:
        self._count += 1
        path = self._workroot / f"{self._count:03d}-{label}"
        path.mkdir()
        return path

    async def sipp_call(self, digits: str = "2", *, hold_s: float = 20,
                        caller: str = "0912345678", caller_name: str = "Test caller",
                        service: str = "1022", timeout: float | None = None) -> SippProcess:
        """One caller who dials `service`, presses `digits` (RFC 2833, 2 s after answer, 1 s
        apart), then stays until Asterisk hangs up or `hold_s` passes. Returns the running
        process; `await run.wait()` for its exit code."""
        workdir = self._workdir(f"caller-{digits or 'none'}")
        scenario = self._scenario("caller_dtmf.xml", workdir, digits=digits,
                                  bye_wait_ms=int(hold_s * 1000))
        return await self._start(
            "caller", scenario, workdir,
            ["-s", service, "-key", "caller_num", caller, "-key", "caller_name", caller_name,
             "-m", "1", "-l", "1", "-mp", str(free_udp_port(pair=True))],
            free_udp_port(), timeout or hold_s + 15, self.asterisk)

    async def register_agent(self, ext: str, password: str, port: int,
                             timeout: float = 10) -> int:
        """REGISTER ext from 127.0.0.1:port with digest auth; returns sipp's exit code."""
        workdir = self._workdir(f"register-{ext}")
        scenario = self._scenario("agent_register.xml", workdir)
        run = await self._start("register", scenario, workdir,
                                ["-key", "agent", ext, "-au", ext, "-ap", password,
                                 "-m", "1"], port, timeout, self.asterisk)
        return await run.wait()

    async def start_agent(self, ext: str, password: str, *, talk_s: float = 3,
                          calls: int = 1, timeout: float = 60) -> SippProcess:
        """Registers `ext`, then answers up to `calls` calls on the registered contact, each
        talking `talk_s` seconds. Raises SippError if the registration fails."""
        port = free_udp_port()
        code = await self.register_agent(ext, password, port)
        if code != 0:
            raise SippError(f"agent {ext} could not register (sipp exit {code})\n"
                            f"{self.processes[-1].errors()}")
        workdir = self._workdir(f"agent-{ext}")
        scenario = self._scenario("agent.xml", workdir, bye_wait_ms=int(talk_s * 1000))
        return await self._start("agent", scenario, workdir,
                                 ["-key", "agent", ext, "-m", str(calls),
                                  "-mp", str(free_udp_port(pair=True))],
                                 port, timeout)

    async def start_uas_115(self, port: int, *, hold_s: float = 10, calls: int = 1,
                            timeout: float = 60) -> SippProcess:
        """A stand-in 115 center listening on 127.0.0.1:port (the IVR_EMERGENCY_URI contact)."""
        workdir = self._workdir("uas115")
        scenario = self._scenario("uas_115.xml", workdir, bye_wait_ms=int(hold_s * 1000))
        return await self._start("uas115", scenario, workdir,
                                 ["-key", "agent", "115", "-m", str(calls),
                                  "-mp", str(free_udp_port(pair=True))],
                                 port, timeout)


def _dtmf_actions(digits: str) -> str:
    """One pcap replay per digit, 1 s apart (each recording lasts well under a second)."""
    parts = []
    for index, digit in enumerate(digits):
        pcap = PCAP_DIR / f"dtmf_2833_{PCAP_NAMES.get(digit, digit)}.pcap"
        if not pcap.exists():
            raise SippError(f"no RFC 2833 recording for {digit!r} ({pcap})")
        if index:
            parts.append('</action></nop>\n  <pause milliseconds="1000"/>\n  <nop><action>')
        parts.append(f'<exec play_pcap_audio="{pcap}"/>')
    return "\n".join(parts)
