"""Records rebuilt from Asterisk's own CEL and queue_log rows match the live records."""
import asyncio
import itertools

import pytest

from db.raw_facts import facts_of
from ivr.calls.reconcile import rebuild

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]
_numbers = itertools.count(1)


async def facts_when_ended(pool, linkedid, timeout=10):
    for _ in range(int(timeout / 0.2)):
        cel, queue_log = await facts_of(pool, [linkedid])
        if "LINKEDID_END" in {r["eventtype"] for r in cel}:
            return cel, queue_log
        await asyncio.sleep(0.2)
    raise AssertionError(f"no LINKEDID_END for {linkedid}")


@pytest.mark.parametrize("kind", ["answered", "abandoned"])
async def test_rebuilt_record_matches_the_live_one(calls, kind):
    number = f"0922{next(_numbers):06d}"
    interface = None
    if kind == "answered":
        await calls.set_global("TEST_TALK_S", "2")
        interface = await calls.local_agent("violations", "1012")
    else:
        await calls.set_global("TEST_HOLD_S", "5")
    try:
        await calls.caller("4", number, "Phạm <b>D</b>")
        live = await calls.record(number)
    finally:
        if interface:
            await calls.remove_agent("violations", interface)
        await calls.set_global("TEST_HOLD_S", "120")
    cel, queue_log = await facts_when_ended(calls.pool, live["linkedid"])
    [rebuilt] = rebuild(cel, queue_log, short_abandon_s=calls.controller.settings.short_abandon_s)
    assert rebuilt.outcome == live["outcome"]
    assert (rebuilt.branch, rebuilt.queue, rebuilt.agent) == (live["branch"], live["queue"], live["agent"])
    assert (rebuilt.caller_number, rebuilt.caller_name) == (number, "Phạm <b>D</b>")
    assert rebuilt.hangup_by == live["hangup_by"]
    assert abs((rebuilt.started_at - live["started_at"]).total_seconds()) < 1.5
    assert abs((rebuilt.ended_at - live["ended_at"]).total_seconds()) < 1.5
    assert abs(rebuilt.wait_s - float(live["wait_s"])) < 1.5
    if kind == "answered":
        assert abs(rebuilt.talk_s - float(live["talk_s"])) < 1.5
    live_path = await calls.pool.fetch("SELECT kind, value FROM call_steps WHERE linkedid=$1 ORDER BY seq",
                                       live["linkedid"])
    assert [(s.kind, s.value) for s in rebuilt.ivr_path] == [(r["kind"], r["value"]) for r in live_path]
