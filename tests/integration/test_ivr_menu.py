"""Issue 3: the menu's behaviour, through real Asterisk with the project's dialplan, as the
controller records it (Local-channel callers send DTMF; prompts are not installed here, so
each prompt returns at once and the tests stay quick — tests/unit/test_prompts.py covers them)."""
import asyncio
import itertools

import pytest

from tests.fixtures.asterisk import AmiProbe

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

_numbers = itertools.count(1)


def new_number() -> str:
    return f"0911{next(_numbers):06d}"


async def path_of(calls, linkedid: str) -> list[tuple[str, str]]:
    rows = await calls.pool.fetch("SELECT kind, value FROM call_steps WHERE linkedid = $1 ORDER BY seq", linkedid)
    return [(r["kind"], r["value"]) for r in rows]


async def hold(calls, seconds: int):
    await calls.set_global("TEST_HOLD_S", str(seconds))


async def test_language_key_switches_the_rest_of_the_call_to_english(calls):
    number = new_number()
    await hold(calls, 4)
    await calls.caller("93", number)
    record = await calls.record(number)
    assert record["language"] == "en"
    path = await path_of(calls, record["linkedid"])
    assert path[:5] == [("language", "vi"), ("key", "9"), ("language", "en"), ("key", "3"), ("branch", "3")]
    assert record["queue"] == "doctors"


async def test_invalid_keys_and_silence_are_reprompted_then_the_default_queue(calls):
    number = new_number()
    await hold(calls, 14)
    await calls.caller("57", number)  # two invalid keys, then silence
    record = await calls.record(number, timeout=40)
    path = await path_of(calls, record["linkedid"])
    kinds = [kind for kind, _ in path]
    assert ("invalid", "5") in path and ("invalid", "7") in path and "timeout" in kinds
    # Three failures: the default branch's queue, not a hang-up.
    assert path[kinds.index("timeout") + 1] == ("branch", "2")
    assert (record["branch"], record["queue"]) == (2, "cdc")
    assert record["outcome"] in ("abandoned_queue", "short_abandon")


async def test_emergency_caller_with_115_unreachable_is_answered_before_earlier_callers(calls):
    """115's URI points at a port where nothing listens. Two callers wait in cdc first; then an
    emergency caller falls back to the `emergency` queue. One agent, in both queues, becomes
    free: the emergency caller is answered first and flagged."""
    early = [new_number(), new_number()]
    urgent = new_number()
    await hold(calls, 30)
    await calls.set_global("TEST_TALK_S", "1")
    interface = "Local/1014@test-agent/n"
    ami = calls.controller.ami
    for queue in ("cdc", "emergency"):
        await ami.send("QueueAdd", Queue=queue, Interface=interface, MemberName="1014", Paused="true")
    try:
        for number in early:
            await calls.caller("2", number)
        await wait_for(lambda: calls.queue_waiting("cdc"), 2, timeout=20)      # both wait before the urgent one
        await calls.caller("1", urgent)
        await wait_for(lambda: calls.queue_waiting("emergency"), 1, timeout=20)
        assert await calls.queue_waiting("cdc") == 2
        await ami.send("QueuePause", Interface=interface, Paused="false")
        emergency = await calls.record(urgent, timeout=30)
        firsts = [await calls.record(n, timeout=40) for n in early]
    finally:
        for queue in ("cdc", "emergency"):
            await ami.send("QueueRemove", Queue=queue, Interface=interface)
        await hold(calls, 120)
    assert emergency["outcome"] == "emergency_fallback" and emergency["emergency"] is True
    assert (emergency["branch"], emergency["queue"], emergency["agent"]) == (1, "emergency", "1014")
    fallback_steps = [v for k, v in await path_of(calls, emergency["linkedid"]) if k == "fallback"]
    assert fallback_steps and fallback_steps[0] in ("CHANUNAVAIL", "CONGESTION", "NOANSWER")
    for first in firsts:
        assert first["answered_at"] is None or first["answered_at"] > emergency["answered_at"]


async def test_caller_who_abandoned_recently_goes_ahead_of_a_first_time_caller(calls):
    """FastAGI caller_lookup gives priority to a number that abandoned in the last 24 hours."""
    repeat, first_time = new_number(), new_number()
    await hold(calls, 3)
    await calls.caller("4", repeat)
    assert (await calls.record(repeat))["outcome"] in ("abandoned_queue", "short_abandon")
    await hold(calls, 25)
    joins = []
    calls.controller.ami.subscribe(lambda e: joins.append(dict(e)) if e.event == "QueueCallerJoin" else None)
    try:
        await calls.caller("4", first_time)
        await wait_for(lambda: calls.queue_waiting("violations"), 1, timeout=15)
        await calls.caller("4", repeat)
        await wait_for(lambda: calls.queue_waiting("violations"), 2, timeout=15)
    finally:
        await hold(calls, 120)
    positions = {e["CallerIDNum"]: e["Position"] for e in joins if e.get("Queue") == "violations"}
    assert positions[repeat] == "1" and positions[first_time] == "1"
    entries = await calls.controller.ami.collect("QueueStatus", Queue="violations")
    order = [e["CallerIDNum"] for e in entries if e.event == "QueueEntry"]
    assert order.index(repeat) < order.index(first_time)
    await hangup_all(calls, "violations")


async def test_with_the_controller_stopped_a_call_still_reaches_queue_2_and_is_answered(asterisk_factory):
    """An instance whose FastAGI port has no listener: caller_lookup fails, AGISTATUS is checked,
    and the call goes on with default priority to an agent."""
    pbx = await asterisk_factory()
    options = pbx.options
    ami = await AmiProbe.connect(options.ami_port, options.ami_user, options.ami_secret)
    try:
        await ami.action({"Action": "QueueAdd", "Queue": "cdc", "Interface": "Local/1015@test-agent/n",
                          "MemberName": "1015"})
        await ami.action({"Action": "Originate", "Channel": "Local/2@test-press/n", "Context": "from-trunk",
                          "Exten": "1022", "Priority": "1", "CallerID": "0988000111", "Async": "true"})
        connect = await ami.wait_event(lambda e: e.get("Event") == "AgentConnect", timeout=20)
    finally:
        await ami.close()
    assert connect["Queue"] == "cdc" and connect["MemberName"] == "1015"
    assert connect["CallerIDNum"] == "0988000111"


async def wait_for(probe, expected: int, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (value := await probe()) < expected:
        assert asyncio.get_running_loop().time() < deadline, f"waited for {expected}, have {value}"
        await asyncio.sleep(0.2)


async def hangup_all(calls, queue: str) -> None:
    entries = await calls.controller.ami.collect("QueueStatus", Queue=queue)
    for entry in entries:
        if entry.event == "QueueEntry":
            await calls.controller.ami.send("Hangup", Channel=entry["Channel"])
