"""Whisper and barge (issue 15) from the supervisor's own phone — real Asterisk, PostgreSQL and SIP, audio measured.

As tests/integration/test_live_listen.py: agent 1001's and supervisor 2001's phones are sipp UAs; a sipp
caller presses 2 and 1001 answers. POST whisper|barge as 2001 rings 2001's phone, which answers; Asterisk
runs ChanSpy on PJSIP/1001-… with w (whisper: only the agent hears the supervisor) or B (barge: both
parties do) — the spying channel runs in supervisor-whisper|barge, whose ChanSpy has that option — and
the audit row says which.

What each party hears is measured by frequency (tests/tones.py): the caller speaks 440 Hz, the agent's
phone 1000 Hz, the supervisor's phone 1700 Hz. The ear is the party's own phone: it sends back every RTP
packet it receives (sipp -rtp_echo), and a MixMonitor on its channel records with r() what Asterisk reads
from it — what that phone was sent, after Asterisk had mixed everything in. A MixMonitor t() ("what is sent
to the channel") would not do: Asterisk feeds a channel's spies (MixMonitor) before it mixes in the whisper
audiohooks (ChanSpy w and B), so t() never holds the supervisor, whatever he says; the test prints the t()
levels next to the r() ones to show it. One party echoes per call (two echoing phones would feed each
other), so each mode runs twice: once with the agent's ear (the caller speaks), once with the caller's (the
agent speaks). Whisper: the agent hears the caller and the supervisor, the caller hears the agent and not
the supervisor. Barge: both hear the supervisor.
"""
from __future__ import annotations

import asyncio
import itertools
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.integration.test_acd import Console, log_out, queues_loaded
from tests.integration.test_live_listen import sip_password, watch
from tests.sipp import SippRunner
from tests.tones import tone_levels
from tests.waiting import until

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

AGENT, SUPERVISOR = "1001", "2001"
DIALPLAN = Path(__file__).resolve().parents[2] / "dialplan" / "extensions_supervisor.conf"
CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ = 440, 1000, 1700    # none a harmonic of another
QUIET_HZ = (700, 1300)                                   # nobody plays these: the recording's floor
# Each tone is sent at 0.5 of full scale; a tone a phone heard comes back at 0.45-0.5 (G.711 twice).
HEARD = 0.1
# Below this a tone is not there: at a frequency nobody plays the recordings measure 0.00005-0.0013.
NOT_HEARD = 0.01
_numbers = itertools.count(1)


@pytest.fixture
async def console(controller) -> AsyncIterator[Console]:
    await queues_loaded(controller)
    async with aiohttp.ClientSession() as session:
        yield Console(session, controller.settings.http_port)


async def channel_of(controller, linkedid: str, caller: bool) -> str:
    """The caller's channel of the call (the one whose uniqueid is the linkedid) or the agent's (PJSIP/1001-…)."""
    for entry in await controller.ami.collect("CoreShowChannels"):
        if entry.get("Linkedid") != linkedid:
            continue
        if caller and entry.get("Uniqueid") == linkedid:
            return entry["Channel"]
        if not caller and entry.get("Channel", "").startswith(f"PJSIP/{AGENT}-"):
            return entry["Channel"]
    raise AssertionError(f"no {'caller' if caller else 'agent'} channel in call {linkedid}")


def finished_wav(path: Path) -> bool:
    """MixMonitor wrote the file and closed it: the header counts at least a second of audio."""
    try:
        with wave.open(str(path), "rb") as recording:
            return recording.getnframes() >= 8000
    except (FileNotFoundError, EOFError, wave.Error):
        return False


async def levels_of(path: Path) -> dict[float, float]:
    await until(lambda: finished_wav(path), 15, f"the recording {path}")
    return await asyncio.to_thread(tone_levels, path, (CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ, *QUIET_HZ))


def assert_heard(levels: dict[float, float], hz: int, heard: bool, what: str) -> None:
    floor = max(levels[q] for q in QUIET_HZ)
    if heard:
        assert levels[hz] > max(HEARD, 10 * floor), f"{what} is not heard: {levels}"
    else:
        assert levels[hz] < NOT_HEARD, f"{what} is heard: {levels}"


@pytest.mark.parametrize("ear", ["agent", "caller"])
@pytest.mark.parametrize(("mode", "options"), [("whisper", "bqESw"), ("barge", "bqESB")])
async def test_the_supervisors_phone_speaks_into_the_agents_call(controller, telephony, calls, console, ear_folder,
                                                                 mode, options, ear):
    number = f"0956{next(_numbers):06d}"
    service, pool = controller.agents, calls.pool
    seen = watch(controller, ("ChanSpyStart", "ChanSpyStop"))
    # The context the spying channel runs in holds ChanSpy with the mode's option (w or B), nothing else.
    context = DIALPLAN.read_text().split(f"[supervisor-{mode}]", 1)[1].split("[", 1)[0]
    assert f"ChanSpy(PJSIP/${{EXTEN}}-,{options})" in context
    inside, host = ear_folder
    async with SippRunner(telephony.options.sip_port) as sipp:
        agent_phone = await sipp.start_agent(AGENT, await sip_password(pool, AGENT), talk_s=16, timeout=50,
                                             echo=ear == "agent", tone_hz=None if ear == "agent" else AGENT_HZ)
        supervisor_phone = await sipp.start_agent(SUPERVISOR, await sip_password(pool, SUPERVISOR), talk_s=5,
                                                  timeout=40, tone_hz=SUPERVISOR_HZ)
        try:
            status, body = await console.call("POST", f"/api/v1/agents/{AGENT}/login", AGENT)
            assert (status, body["state"]) == (200, "ready"), body
            caller = await sipp.sipp_call("2", hold_s=45, caller=number, echo=ear == "caller",
                                          tone_hz=CALLER_HZ if ear == "agent" else None)
            await until(lambda: service.state(AGENT).state == "on_call", 30, "the caller answered by 1001")
            linkedid = service.state(AGENT).linkedid
            channel = await channel_of(controller, linkedid, caller=ear == "caller")
            await controller.ami.send("MixMonitor", Channel=channel, File=f"{inside}/both.wav",
                                      Options=f"r({inside}/back.wav)t({inside}/sent.wav)")
            status, body = await console.call("POST", f"/api/v1/agents/{AGENT}/{mode}", SUPERVISOR)
            assert status == 202 and body["mode"] == mode and body["linkedid"] == linkedid, body
            start = await until(lambda: next((e for e in seen if e.get("Event") == "ChanSpyStart"), None), 15,
                                "ChanSpyStart")
            assert start["SpyeeChannel"].startswith(f"PJSIP/{AGENT}-"), dict(start)
            assert start["SpyerContext"] == f"supervisor-{mode}", dict(start)
            row = await pool.fetchrow("SELECT * FROM live_listen_log WHERE id = $1", body["listen_id"])
            assert (row["mode"], row["agent_ext"], row["listener_ext"], row["linkedid"]) == (
                mode, AGENT, SUPERVISOR, linkedid), dict(row)
            status, audit = await console.call("GET", "/api/v1/audit/live-listen?limit=1", "9001")
            assert audit["listens"][0]["mode"] == mode, audit
            assert await supervisor_phone.wait(20) == 0, supervisor_phone.errors()
            await until(lambda: any(e.get("Event") == "ChanSpyStop" for e in seen), 10, "ChanSpyStop")
            await controller.ami.send("StopMixMonitor", Channel=channel)
            heard, sent = await levels_of(host / "back.wav"), await levels_of(host / "sent.wav")
            print(f"{mode}, the {ear}'s phone: heard {heard}; MixMonitor t() {sent}")
            assert_heard(heard, SUPERVISOR_HZ, ear == "agent" or mode == "barge", f"the supervisor, by the {ear}")
            other_hz, other = (CALLER_HZ, "the caller") if ear == "agent" else (AGENT_HZ, "the agent")
            assert_heard(heard, other_hz, True, f"{other}, by the {ear}")
            assert await agent_phone.wait(30) == 0, agent_phone.errors()
            assert await caller.wait(30) == 0, caller.errors()
        finally:
            await log_out(controller, AGENT, [number])


async def test_an_agent_may_not_whisper(controller, console):
    status, body = await console.call("POST", f"/api/v1/agents/{AGENT}/whisper", "1002")
    assert status == 403, body
