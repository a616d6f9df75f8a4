"""Real SIP peers (sipp) against the project's Asterisk: RFC 2833 callers, agents, 115.

The shared instance's IVR_EMERGENCY_URI points at a free port where the 115 stand-in listens.
"""
from __future__ import annotations

import pytest

from runtime.asterisk import AsteriskInstance
from tests.fixtures.asterisk import TEST_AGENTS, AmiProbe, agent_complete
from tests.sipp import SippRunner, free_udp_port
from tests.waiting import until

pytestmark = pytest.mark.e2e


def _is(event: str, **fields: str):
    def matches(message: dict[str, str]) -> bool:
        return message.get("Event") == event and all(
            message.get(key) == value for key, value in fields.items())
    return matches


def _step(kind: str, value: str):
    return lambda e: (e.get("Event") == "UserEvent" and e.get("UserEvent") == "IvrStep"
                      and e.get("Step") == kind and e.get("Value") == value)


@pytest.mark.parametrize("digit, queue", [("2", "cdc"), ("3", "doctors"), ("4", "violations")])
async def test_caller_pressing_a_branch_key_waits_in_its_queue(asterisk_pbx: AsteriskInstance,
                                                               ami_probe: AmiProbe,
                                                               sipp_runner: SippRunner,
                                                               digit: str, queue: str) -> None:
    number = f"098800022{digit}"
    caller = await sipp_runner.sipp_call(digit, hold_s=12, caller=number)
    join = await ami_probe.wait_event(
        lambda e: e.get("Event") == "QueueCallerJoin" and e.get("CallerIDNum") == number, 15)
    assert join["Queue"] == queue
    assert join["Channel"].startswith("PJSIP/trunk-")
    shown = await asterisk_pbx.cli(f"queue show {queue}")
    assert join["Channel"] in shown
    # The caller hangs up at the end of its hold time: an abandon, and sipp saw a clean call.
    await ami_probe.wait_event(_is("QueueCallerAbandon", Uniqueid=join["Uniqueid"]), 20)
    assert await caller.wait() == 0, caller.errors()


async def test_caller_pressing_1_reaches_115(asterisk_pbx: AsteriskInstance,
                                             ami_probe: AmiProbe,
                                             sipp_runner: SippRunner) -> None:
    port = int(asterisk_pbx.options.emergency_uri.rsplit(":", 1)[1])
    center = await sipp_runner.start_uas_115(port, hold_s=20)
    caller = await sipp_runner.sipp_call("1", hold_s=6, caller="0988000111")
    transfer = await ami_probe.wait_event(_step("transfer", "115"), 20)
    assert transfer.get("ChanVariable(IVR_BRANCH)") == "1"
    dial_end = await ami_probe.wait_event(
        lambda e: e.get("Event") == "DialEnd" and e.get("DestChannel", "").startswith(
            "PJSIP/emergency-"), 5)
    assert dial_end["DialStatus"] == "ANSWER"
    assert dial_end["CallerIDNum"] == "0988000111"
    # The caller hangs up after its hold time; 115 gets the BYE and both runs succeed.
    assert await caller.wait() == 0, caller.errors()
    assert await center.wait(15) == 0, center.errors()


async def test_agent_registers_with_digest_auth(asterisk_pbx: AsteriskInstance,
                                                sipp_runner: SippRunner) -> None:
    agent = TEST_AGENTS[1]
    assert await sipp_runner.register_agent(agent.ext, "wrong-password",
                                            port=free_udp_port(), timeout=8) != 0
    run = await sipp_runner.start_agent(agent.ext, agent.password, talk_s=1, timeout=20)
    contacts = await asterisk_pbx.wait_until("pjsip show contacts", f"{agent.ext}/sip:", 5)
    assert f"127.0.0.1:{run.local_port}" in contacts
    run.kill()


async def test_queued_caller_answered_by_sipp_agent(asterisk_pbx: AsteriskInstance,
                                                    ami_probe: AmiProbe,
                                                    sipp_runner: SippRunner) -> None:
    agent = TEST_AGENTS[0]
    answering = await sipp_runner.start_agent(agent.ext, agent.password, talk_s=3, timeout=40)
    await asterisk_pbx.wait_until("pjsip show contacts", f"{agent.ext}/sip:", 5)
    reply = await ami_probe.action({"Action": "QueueAdd", "Queue": "doctors",
                                    "Interface": f"PJSIP/{agent.ext}",
                                    "MemberName": agent.ext})
    assert reply["Response"] == "Success", reply
    try:
        caller = await sipp_runner.sipp_call("3", hold_s=25, caller="0988000333")
        connect = await ami_probe.wait_event(
            lambda e: e.get("Event") == "AgentConnect" and e.get("CallerIDNum") == "0988000333",
            20)
        assert connect["Queue"] == "doctors"
        assert connect["Interface"] == f"PJSIP/{agent.ext}"
        complete = await ami_probe.wait_event(
            agent_complete(connect["Linkedid"], agent.ext), 20)
        assert complete["Reason"] == "agent"
        assert await answering.wait(10) == 0, answering.errors()
        assert await caller.wait(10) == 0, caller.errors()
        recording = asterisk_pbx.recordings_dir / f"{connect['Linkedid']}.wav"
        # ~3 s of 8 kHz audio, at least 0.5 s
        await until(lambda: recording.exists() and recording.stat().st_size > 8000, 10, "the recording written")
    finally:
        await ami_probe.action({"Action": "QueueRemove", "Queue": "doctors",
                                "Interface": f"PJSIP/{agent.ext}"})
