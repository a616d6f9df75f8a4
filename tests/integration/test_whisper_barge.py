"""Whisper and barge (issue 15) from the supervisor's own phone — real Asterisk, PostgreSQL and SIP.

As tests/integration/test_live_listen.py: agent 1001's and supervisor 2001's phones are sipp UAs; a
Local-channel caller presses 2 and 1001 answers. POST whisper|barge as 2001 rings 2001's phone, which
answers; Asterisk runs ChanSpy on PJSIP/1001-… with w (whisper: only the agent hears the supervisor) or
B (barge: both parties do) — the spying channel runs in supervisor-whisper|barge, whose ChanSpy has that
option — and the audit row says which. What each party hears is ChanSpy's own behaviour for those
options; the audio itself is not measured here.
"""
from __future__ import annotations

import itertools

import pytest

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from tests.integration.test_acd import Console, log_out, queues_loaded
from tests.integration.test_live_listen import sip_password, watch
from tests.sipp import SippRunner
from tests.waiting import until

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

AGENT, SUPERVISOR = "1001", "2001"
DIALPLAN = Path(__file__).resolve().parents[2] / "dialplan" / "extensions_supervisor.conf"
_numbers = itertools.count(1)


@pytest.fixture
async def console(controller) -> AsyncIterator[Console]:
    await queues_loaded(controller)
    async with aiohttp.ClientSession() as session:
        yield Console(session, controller.settings.http_port)


@pytest.mark.parametrize(("mode", "options"), [("whisper", "bqESw"), ("barge", "bqESB")])
async def test_the_supervisors_phone_speaks_into_the_agents_call(controller, telephony, calls, console, mode,
                                                                 options):
    number = f"0956{next(_numbers):06d}"
    service, pool = controller.agents, calls.pool
    seen = watch(controller, ("ChanSpyStart",))
    # The context the spying channel runs in holds ChanSpy with the mode's option (w or B), nothing else.
    context = DIALPLAN.read_text().split(f"[supervisor-{mode}]", 1)[1].split("[", 1)[0]
    assert f"ChanSpy(PJSIP/${{EXTEN}}-,{options})" in context
    async with SippRunner(telephony.options.sip_port) as sipp:
        agent_phone = await sipp.start_agent(AGENT, await sip_password(pool, AGENT), talk_s=10, timeout=40)
        supervisor_phone = await sipp.start_agent(SUPERVISOR, await sip_password(pool, SUPERVISOR), talk_s=3,
                                                  timeout=30)
        try:
            status, body = await console.call("POST", f"/api/v1/agents/{AGENT}/login", AGENT)
            assert (status, body["state"]) == (200, "ready"), body
            await calls.caller("2", number)
            await until(lambda: service.state(AGENT).state == "on_call", 30, "the caller answered by 1001")
            linkedid = service.state(AGENT).linkedid
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
            assert await agent_phone.wait(30) == 0, agent_phone.errors()
        finally:
            await log_out(controller, AGENT, [number])


async def test_an_agent_may_not_whisper(controller, console):
    status, body = await console.call("POST", f"/api/v1/agents/{AGENT}/whisper", "1002")
    assert status == 403, body
