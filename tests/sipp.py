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
import struct
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

SCENARIOS = Path(__file__).resolve().parent / "sipp"
PCAP_DIR = Path("/usr/share/sip-tester")
SIPP = shutil.which("sipp") or "/usr/bin/sipp"
PCAP_NAMES = {"*": "star", "#": "pound"}
DTMF_BLOCK = re.compile(r'<nop>\s*<action>\s*<exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_2.pcap"/>'
                        r'\s*</action>\s*</nop>')
BYE_WAIT = re.compile(r'(<recv request="BYE" timeout=")(\d+)(")')
STAY_ON_LINE = "<!-- Stay on the line until Asterisk hangs up, or the hold time passes. -->"
AGENT_SPEECH = re.compile(r'<nop>\s*<action>\s*<exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap"/>'
                          r'\s*</action>\s*</nop>')
RING_PAUSE = re.compile(r'(<pause milliseconds=")(\d+)("/><!-- ring -->)')
KEY_DELAY_S = 2.0          # caller_dtmf.xml: the first digit 2 s after the ACK, the next ones 1 s apart
_MESSAGE_HEAD = re.compile(r"^-{20,} (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}\.\d+)$")


@dataclass(frozen=True)
class SipMessage:
    """One message from sipp's -trace_msg log: when (epoch seconds), sent or received, its first line."""
    at: float
    sent: bool
    first_line: str


def parse_messages(text: str) -> list[SipMessage]:
    """sipp's <scenario>_<pid>_messages.log: each message starts with a dashed line and sipp's local time."""
    found: list[SipMessage] = []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        head = _MESSAGE_HEAD.match(line)
        if not head or index + 3 >= len(lines):
            continue
        at = datetime.strptime(f"{head[1]} {head[2]}", "%Y-%m-%d %H:%M:%S.%f").timestamp()
        direction = lines[index + 1]
        first = next((candidate for candidate in lines[index + 2:index + 5] if candidate.strip()), "")
        found.append(SipMessage(at, "sent" in direction, first.strip()))
    return found


def dtmf_end_offset(digit: str) -> float:
    """Seconds from the start of a digit's RFC 2833 recording to its first end-of-event packet: when
    Asterisk reads the key (Background/WaitExten act on the DTMF end)."""
    data = (PCAP_DIR / f"dtmf_2833_{PCAP_NAMES.get(digit, digit)}.pcap").read_bytes()
    position, first = 24, None
    while position + 16 <= len(data):
        seconds, micros, length, _ = struct.unpack("<IIII", data[position:position + 16])
        packet = data[position + 16:position + 16 + length]
        position += 16 + length
        at = seconds + micros / 1e6
        first = at if first is None else first
        if len(packet) >= 4 and packet[-3] & 0x80:     # telephone-event payload: E bit
            return at - first
    raise SippError(f"no end-of-event packet in the recording of {digit!r}")


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

    def messages(self) -> list[SipMessage]:
        """Every SIP message this run sent or received (-trace_msg), in order."""
        return [message for path in sorted(self.workdir.glob("*_messages.log"))
                for message in parse_messages(path.read_text(errors="replace"))]

    def responses(self) -> list[str]:
        """The status codes of the responses this run received, in order (e.g. ['401', '200'])."""
        return [m.first_line.split()[1] for m in self.messages()
                if not m.sent and m.first_line.startswith("SIP/2.0 ") and len(m.first_line.split()) > 1]

    def first(self, start: str, sent: bool) -> SipMessage:
        """The first message sent (or received) whose first line starts with `start`."""
        for message in self.messages():
            if message.sent == sent and message.first_line.startswith(start):
                return message
        raise SippError(f"sipp {self.name}: no {'sent' if sent else 'received'} {start!r}\n{self.errors()}")

    def key_at(self, digits: str, index: int) -> float:
        """When Asterisk read the caller's digit number `index` (epoch seconds): the ACK sent, then the
        scenario's pause and the digit's own recording up to its end-of-event packet."""
        ack = self.first("ACK", sent=True).at
        return ack + KEY_DELAY_S + index + dtmf_end_offset(digits[index])

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
        # (local_ip, ext, password, port) of each phone that registered: unregistered on close, since an
        # agent's one contact is never replaced by another phone's (dialplan/pjsip.conf remove_existing = no)
        self._registered: list[tuple[str, str, str, int]] = []

    async def __aenter__(self) -> "SippRunner":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def close(self) -> None:
        for run in self.processes:
            run.kill()
            await run.process.wait()
        registered, self._registered = self._registered, []
        for local_ip, ext, password, port in registered:
            try:
                await self.register_from(local_ip, ext, password, port, timeout=5, expires=0)
            except SippError:   # Asterisk already gone: nothing to unregister from
                pass
        shutil.rmtree(self._workroot, ignore_errors=True)

    def _scenario(self, name: str, workdir: Path, *, digits: str | None = None,
                  bye_wait_ms: int | None = None, ring_ms: int | None = None,
                  tone: Path | None = None, speech: str | None = None) -> Path:
        text = (SCENARIOS / name).read_text()
        if speech is not None:
            text, replaced = AGENT_SPEECH.subn(lambda _: speech, text)
            if not replaced:
                raise SippError(f"{name}: no speech sample to replace")
        if digits is not None:
            text = DTMF_BLOCK.sub(lambda _: _dtmf_actions(digits, workdir), text)
        if tone is not None:
            text = text.replace(STAY_ON_LINE, _tone_actions(tone) + "\n  " + STAY_ON_LINE)
        if bye_wait_ms is not None:
            text = BYE_WAIT.sub(lambda m: f"{m[1]}{bye_wait_ms}{m[3]}", text)
        if ring_ms is not None:
            text = RING_PAUSE.sub(lambda m: f"{m[1]}{ring_ms}{m[3]}", text)
        path = workdir / name
        path.write_text(text)
        return path

    async def _start(self, label: str, scenario: Path, workdir: Path, args: list[str],
                     local_port: int, timeout: float, target: str | None = None,
                     local_ip: str = "127.0.0.1") -> SippProcess:
        command = [SIPP, "-sf", str(scenario), "-i", local_ip, "-p", str(local_port),
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
                        service: str = "1022", timeout: float | None = None,
                        tone_hz: int | None = None, echo: bool = False) -> SippProcess:
        """One caller who dials `service`, presses `digits` (RFC 2833, 2 s after answer, 1 s
        apart; a ',' is one more second without a key; "" presses nothing), then stays until
        Asterisk hangs up or `hold_s` passes. With `tone_hz` the caller speaks: a sine of that
        frequency (µ-law RTP, looped) from 1.5 s after the last key on. With `echo` the caller's
        phone sends back every RTP packet it receives (sipp -rtp_echo): what Asterisk then reads
        from the caller is what the caller heard. Returns the running process; `await run.wait()`
        for its exit code."""
        workdir = self._workdir(f"caller-{digits or 'none'}")
        tone = make_tone(workdir / f"tone-{tone_hz}.ulaw", tone_hz) if tone_hz else None
        scenario = self._scenario("caller_dtmf.xml", workdir, digits=digits,
                                  bye_wait_ms=int(hold_s * 1000), tone=tone)
        return await self._start(
            "caller", scenario, workdir,
            ["-s", service, "-key", "caller_num", caller, "-key", "caller_name", caller_name,
             "-m", "1", "-l", "1", "-mp", str(free_udp_port(pair=True)), *(["-rtp_echo"] if echo else [])],
            free_udp_port(), timeout or hold_s + 15, self.asterisk)

    async def register_agent(self, ext: str, password: str, port: int,
                             timeout: float = 10) -> int:
        """REGISTER ext from 127.0.0.1:port with digest auth; returns sipp's exit code."""
        return await (await self.register_from("127.0.0.1", ext, password, port, timeout)).wait()

    async def register_from(self, local_ip: str, ext: str, password: str, port: int | None = None,
                            timeout: float = 10, expires: int = 600) -> SippProcess:
        """REGISTER ext from local_ip (any 127.x address) with digest auth; the finished run
        (`returncode` 0: registered; `responses()` says what Asterisk answered). expires=0 unregisters."""
        workdir = self._workdir(f"register-{ext}-{local_ip}")
        scenario = self._scenario("agent_register.xml", workdir)
        port = port or free_udp_port()
        run = await self._start("register", scenario, workdir,
                                ["-key", "agent", ext, "-key", "expires", str(expires), "-au", ext, "-ap", password,
                                 "-m", "1"], port, timeout, self.asterisk, local_ip=local_ip)
        await run.wait()
        if run.returncode == 0 and expires:
            self._registered.append((local_ip, ext, password, port))
        return run

    async def _registered_port(self, ext: str, password: str) -> int:
        """A free local port `ext` is registered from (SippError if Asterisk refuses): a phone listens there."""
        port = free_udp_port()
        code = await self.register_agent(ext, password, port)
        if code != 0:
            raise SippError(f"agent {ext} could not register (sipp exit {code})\n"
                            f"{self.processes[-1].errors()}")
        return port

    async def unregister(self, ext: str) -> None:
        """Unregisters every contact this runner registered for `ext`: Asterisk keeps an agent's contact
        in use and refuses a second one (remove_existing = no), so a phone that goes away says so."""
        mine = [r for r in self._registered if r[1] == ext]
        self._registered = [r for r in self._registered if r[1] != ext]
        for local_ip, _, password, port in mine:
            await self.register_from(local_ip, ext, password, port, timeout=5, expires=0)

    async def unregister_all(self, ext: str, password: str, timeout: float = 10) -> SippProcess:
        """Removes every desk-phone contact of `ext` in Asterisk, this runner's or anyone's (REGISTER
        `Contact: *`, `Expires: 0`; tests/sipp/agent_unregister_all.xml); the finished run (`returncode` 0: done)."""
        workdir = self._workdir(f"unregister-all-{ext}")
        scenario = self._scenario("agent_unregister_all.xml", workdir)
        run = await self._start("unregister-all", scenario, workdir,
                                ["-key", "agent", ext, "-au", ext, "-ap", password, "-m", "1"],
                                free_udp_port(), timeout, self.asterisk)
        await run.wait()
        self._registered = [r for r in self._registered if r[1] != ext]
        return run

    async def start_agent(self, ext: str, password: str, *, talk_s: float = 3,
                          calls: int = 1, timeout: float = 60, tone_hz: int | None = None,
                          echo: bool = False, ring_s: float = 0) -> SippProcess:
        """Registers `ext`, then answers up to `calls` calls on the registered contact, each
        talking `talk_s` seconds. Raises SippError if the registration fails. The phone speaks
        sipp's speech sample; with `tone_hz` a sine of that frequency instead (A-law RTP, looped, from
        the answer on); with `echo` nothing of its own: it sends back every RTP packet it receives
        (sipp -rtp_echo), so what Asterisk reads from the phone is what the phone heard. It rings
        `ring_s` seconds before answering."""
        port = await self._registered_port(ext, password)
        workdir = self._workdir(f"agent-{ext}")
        scenario = self._scenario("agent.xml", workdir, bye_wait_ms=int(talk_s * 1000),
                                  speech=_agent_speech(workdir, tone_hz, echo), ring_ms=int(ring_s * 1000))
        return await self._start("agent", scenario, workdir,
                                 ["-key", "agent", ext, "-m", str(calls),
                                  "-mp", str(free_udp_port(pair=True)), *(["-rtp_echo"] if echo else [])],
                                 port, timeout)

    async def start_ringing_phone(self, ext: str, password: str, *, calls: int = 1,
                                  timeout: float = 60) -> SippProcess:
        """Registers `ext`, then rings on each of up to `calls` INVITEs and never answers: the call is
        cancelled (tests/sipp/uas_citizen_noanswer.xml on the registered contact)."""
        port = await self._registered_port(ext, password)
        workdir = self._workdir(f"ringing-{ext}")
        scenario = self._scenario("uas_citizen_noanswer.xml", workdir)
        return await self._start("ringing", scenario, workdir, ["-m", str(calls)], port, timeout)

    async def start_uas_115(self, port: int, *, hold_s: float = 10, calls: int = 1, ring_s: float = 0,
                            timeout: float = 60) -> SippProcess:
        """A stand-in 115 center listening on 127.0.0.1:port (the IVR_EMERGENCY_URI contact); it
        rings `ring_s` seconds (180 Ringing, then 200 OK)."""
        workdir = self._workdir("uas115")
        scenario = self._scenario("uas_115.xml", workdir, bye_wait_ms=int(hold_s * 1000),
                                  ring_ms=int(ring_s * 1000))
        return await self._start("uas115", scenario, workdir,
                                 ["-key", "agent", "115", "-m", str(calls),
                                  "-mp", str(free_udp_port(pair=True))],
                                 port, timeout)

    async def start_citizen_trunk(self, port: int, *, hold_s: float = 5, calls: int = 1,
                                  ring_s: float = 0, timeout: float = 60) -> SippProcess:
        """The citizens' trunk on 127.0.0.1:port (the IVR_OUTBOUND_URI contact): answers up to
        `calls` INVITEs after ringing `ring_s` seconds; each citizen stays `hold_s` seconds."""
        workdir = self._workdir("citizen-trunk")
        scenario = self._scenario("uas_citizen.xml", workdir, bye_wait_ms=int(hold_s * 1000),
                                  ring_ms=int(ring_s * 1000))
        return await self._start("citizen-trunk", scenario, workdir,
                                 ["-m", str(calls), "-mp", str(free_udp_port(pair=True))],
                                 port, timeout)

    async def start_citizen_trunk_no_answer(self, port: int, *, calls: int = 1,
                                            timeout: float = 120) -> SippProcess:
        """The citizens' trunk where the phone rings until Asterisk gives up (CANCEL) `calls` times."""
        workdir = self._workdir("citizen-trunk-no-answer")
        scenario = self._scenario("uas_citizen_noanswer.xml", workdir)
        return await self._start("citizen-trunk-no-answer", scenario, workdir, ["-m", str(calls)],
                                 port, timeout)


def make_tone(path: Path, hz: int, seconds: int = 10, law: str = "u-law") -> Path:
    """Raw µ-law (or A-law) 8 kHz mono (what sipp's rtp_stream sends as PCMU, PCMA): a sine made by sox."""
    import subprocess
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", law, "-t", "raw", str(path),
                    "synth", str(seconds), "sine", str(hz), "vol", "0.5"], check=True, timeout=30)
    return path


def _tone_actions(tone: Path) -> str:
    """Wait for the keys' recordings to end, then stream the tone in a loop (payload 0, PCMU)."""
    return f'<pause milliseconds="1500"/>\n  {_tone_stream(tone, 0)}'


def _agent_speech(workdir: Path, tone_hz: int | None, echo: bool) -> str | None:
    """What agent.xml plays instead of sipp's speech sample: a tone, nothing (an echoing phone), or None
    (the sample itself). The phone answers with PCMA, hence an A-law tone on payload 8."""
    if tone_hz:
        return _tone_stream(make_tone(workdir / f"tone-{tone_hz}.alaw", tone_hz, law="a-law"), 8)
    return "<!-- silent: -rtp_echo sends back what the phone hears -->" if echo else None


def _tone_stream(tone: Path, payload: int) -> str:
    """Stream a raw G.711 file in a loop with RTP payload type `payload` (0 PCMU, 8 PCMA)."""
    return f'<nop><action><exec rtp_stream="{tone},-1,{payload}"/></action></nop>'



def _dtmf_actions(digits: str, workdir: Path | None = None) -> str:
    """One pcap replay per digit, 1 s apart (each recording lasts well under a second); a ','
    is a second without a key. Replaces the scenario's whole <nop> of the default digit.
    With more than one key and a `workdir`, each recording is a renumbered copy there (`renumbered_pcap`): the shipped
    ones have unrelated RTP sequence numbers, and Asterisk drops an event whose numbers go back
    (the 1 after a * of the shipped files is never heard)."""
    parts = []
    keys = [digit for digit in digits if digit != ","]
    for index, digit in enumerate(digits):
        if index:
            parts.append('<pause milliseconds="1000"/>')
        if digit == ",":
            continue
        pcap = PCAP_DIR / f"dtmf_2833_{PCAP_NAMES.get(digit, digit)}.pcap"
        if not pcap.exists():
            raise SippError(f"no RFC 2833 recording for {digit!r} ({pcap})")
        if len(keys) > 1 and workdir is not None:
            pcap = renumbered_pcap(pcap, workdir / f"key{index:02d}.pcap", index)
        parts.append(f'<nop><action><exec play_pcap_audio="{pcap}"/></action></nop>')
    return "\n  ".join(parts)


def renumbered_pcap(source: Path, target: Path, index: int) -> Path:
    """A copy of an RFC 2833 recording whose RTP sequence numbers and timestamp follow those of
    key number `index - 1` (each recording has ≤ 20 packets of one event)."""
    data = bytearray(source.read_bytes())
    position, packet = 24, 0
    while position + 16 <= len(data):
        length = struct.unpack("<I", data[position + 8:position + 12])[0]
        rtp = position + 16 + length - 16            # 12-byte RTP header + 4-byte telephone-event
        struct.pack_into(">HI", data, rtp + 2, 20000 + index * 20 + packet, 160000 + index * 16000)
        position += 16 + length
        packet += 1
    target.write_bytes(bytes(data))
    return target
