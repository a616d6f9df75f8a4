"""hangup_by on real calls: `caller` when the caller left, `system` when Asterisk ended the call
(the AMI Hangup action, dialplan Hangup()), and the record rebuilt from CEL/queue_log agrees."""
import asyncio
import itertools

import pytest

from db.raw_facts import facts_of
from ivr.calls.reconcile import rebuild

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]
_numbers = itertools.count(1)


async def callers_channel_in_queue(calls, number: str) -> str:
    for _ in range(100):
        channels = await calls.controller.ami.collect("CoreShowChannels")
        mine = [c for c in channels if c.get("CallerIDNum") == number and c.get("Uniqueid") == c.get("Linkedid")]
        if mine and mine[0].get("Application") == "Queue":
            return mine[0]["Channel"]
        await asyncio.sleep(0.2)
    raise AssertionError(f"the caller {number} never reached a queue")


async def rebuilt(calls, linkedid: str):
    for _ in range(50):
        cel, queue_log = await facts_of(calls.pool, [linkedid])
        if "LINKEDID_END" in {row["eventtype"] for row in cel}:
            [record] = rebuild(cel, queue_log, short_abandon_s=calls.controller.settings.short_abandon_s)
            return record
        await asyncio.sleep(0.2)
    raise AssertionError(f"no LINKEDID_END for {linkedid}")


@pytest.mark.parametrize("how, expected", [("caller hangs up", "caller"), ("AMI Hangup", "system"),
                                           ("dialplan Hangup()", "system")])
async def test_who_ended_the_call_live_and_rebuilt(calls, how, expected):
    number = f"0944{next(_numbers):06d}"
    await calls.set_global("TEST_HOLD_S", "6" if how == "caller hangs up" else "120")
    try:
        await calls.caller("3", number)
        channel = await callers_channel_in_queue(calls, number)
        if how == "AMI Hangup":
            await calls.controller.ami.send("Hangup", Channel=channel)
        elif how == "dialplan Hangup()":   # tests/dialplan/test_contexts.conf [test-end]
            await calls.controller.ami.send("Redirect", Channel=channel, Context="test-end", Exten="s",
                                            Priority="1")
        live = await calls.record(number)
    finally:
        await calls.set_global("TEST_HOLD_S", "120")
    assert live["outcome"] in ("abandoned_queue", "short_abandon")
    assert live["hangup_by"] == expected
    assert (await rebuilt(calls, live["linkedid"])).hangup_by == expected
