"""Issue 2: one real call through Asterisk, the controller and PostgreSQL."""
import asyncio
import itertools

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

_numbers = itertools.count(1)


def new_number() -> str:
    return f"0900{next(_numbers):06d}"


async def test_caller_pressing_2_is_answered_by_an_agent_and_recorded(calls):
    number = new_number()
    await calls.set_global("TEST_TALK_S", "2")
    interface = await calls.local_agent("cdc", "1001")
    try:
        await calls.caller("2", number, "Tran Thi B")
        record = await calls.record(number)
    finally:
        await calls.remove_agent("cdc", interface)
    assert record["outcome"] == "answered"
    assert (record["branch"], record["queue"], record["agent"]) == (2, "cdc", "1001")
    assert record["caller_name"] == "Tran Thi B"
    assert 0 <= record["wait_s"] < 10, record["wait_s"]
    assert 1 <= record["talk_s"] < 6, record["talk_s"]
    assert record["started_at"] < record["answered_at"] < record["ended_at"]
    steps = await calls.pool.fetch("SELECT kind, value FROM call_steps WHERE linkedid = $1 ORDER BY seq",
                                   record["linkedid"])
    assert ("branch", "2") in [(s["kind"], s["value"]) for s in steps]
    assert await calls.pool.fetchval("SELECT count(*) FROM calls WHERE caller_number = $1", number) == 1


async def test_caller_who_hangs_up_in_the_queue_is_recorded_as_abandoned(calls):
    number = new_number()
    await calls.set_global("TEST_HOLD_S", "6")
    try:
        await calls.caller("3", number)
        record = await calls.record(number)
    finally:
        await calls.set_global("TEST_HOLD_S", "120")
    assert record["outcome"] == "abandoned_queue"
    assert (record["branch"], record["queue"], record["agent"]) == (3, "doctors", None)
    # The caller pressed 3 about 2 s into the call and hung up 6 s after answering.
    assert 1 <= record["wait_s"] <= 8, record["wait_s"]  # loose: a loaded 2-core box delays the DTMF
    assert record["hangup_by"] == "caller"


async def test_asterisk_writes_its_own_raw_facts(calls):
    number = new_number()
    await calls.set_global("TEST_HOLD_S", "3")
    try:
        await calls.caller("4", number)
        record = await calls.record(number)
    finally:
        await calls.set_global("TEST_HOLD_S", "120")
    linkedid = record["linkedid"]
    for _ in range(20):
        cel = await calls.pool.fetch("SELECT eventtype FROM cel WHERE linkedid = $1", linkedid)
        queue_log = await calls.pool.fetch("SELECT event FROM queue_log WHERE callid = $1", linkedid)
        if "LINKEDID_END" in {r["eventtype"] for r in cel} and queue_log:
            break
        await asyncio.sleep(0.25)
    assert {"CHAN_START", "HANGUP", "LINKEDID_END"} <= {r["eventtype"] for r in cel}
    assert "ENTERQUEUE" in {r["event"] for r in queue_log}
