"""Issue 12 in the dialplan, through real Asterisk and the controller (Local-channel callers; no
prompts installed, so every prompt returns at once and only MENU_WAIT_S (4 s) and the survey's
6 s wait take time). The real-SIP versions, with the real prompts, are in
tests/e2e/test_sipp_caller_minute.py."""
from __future__ import annotations

import itertools

import pytest

from ivr.calls.reconcile import rebuild
from tests.integration.test_reconcile import facts_when_ended

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

_numbers = itertools.count(1)
AGENT = "1003"          # a Local-channel stand-in (Local/1003@test-agent/n): hangs up after TEST_TALK_S


def new_number() -> str:
    return f"0933{next(_numbers):06d}"


async def path_of(calls, linkedid: str) -> list[tuple[str, str]]:
    rows = await calls.pool.fetch("SELECT kind, value FROM call_steps WHERE linkedid = $1 ORDER BY seq", linkedid)
    return [(r["kind"], r["value"]) for r in rows]


async def silent_caller(calls, number: str) -> None:
    await calls.controller.ami.send("Originate", Channel="Local/s@test-silent/n", Context="from-trunk",
                                    Exten="1022", Priority="1", CallerID=number, Async="true")


@pytest.mark.parametrize("repeats, timeouts", [(None, 2), ("0", 1), ("3", 3)])
async def test_a_silent_caller_hears_the_menu_again_then_goes_to_the_default_branch(calls, repeats, timeouts):
    """Default IVR_MENU_REPEATS=1: one repeat, then the default queue; 3 gives the behaviour before
    issue 12 (three menu cycles: the three-failure limit)."""
    number = new_number()
    await calls.set_global("TEST_HOLD_S", str(4 * timeouts + 3))
    if repeats is not None:
        await calls.set_global("MENU_REPEATS", repeats)
    try:
        await silent_caller(calls, number)
        record = await calls.record(number, timeout=4 * timeouts + 20)
    finally:
        await calls.set_global("MENU_REPEATS", "1")
        await calls.set_global("TEST_HOLD_S", "120")
    path = await path_of(calls, record["linkedid"])
    assert path == [("language", "vi"), *[("timeout", str(n)) for n in range(1, timeouts + 1)], ("branch", "2")]
    assert (record["branch"], record["queue"]) == (2, "cdc")


async def test_key_0_reaches_the_default_queue_and_star_repeats_the_menu(calls):
    number = new_number()
    await calls.set_global("TEST_HOLD_S", "3")
    try:
        await calls.caller("*0", number)
        record = await calls.record(number, timeout=20)
    finally:
        await calls.set_global("TEST_HOLD_S", "120")
    assert await path_of(calls, record["linkedid"]) == [("language", "vi"), ("key", "*"), ("key", "0"),
                                                         ("branch", "2")]
    assert record["queue"] == "cdc"


async def survey_call(calls, number: str, digits: str):
    await calls.set_global("TEST_TALK_S", "1")
    await calls.set_global("TEST_HOLD_S", "25")
    interface = await calls.local_agent("cdc", AGENT)
    try:
        await calls.caller(digits, number)
        return await calls.record(number, timeout=40)
    finally:
        await calls.remove_agent("cdc", interface)
        await calls.set_global("TEST_HOLD_S", "120")
        await calls.set_global("TEST_TALK_S", "3")


async def test_the_agent_ending_the_call_asks_the_survey_and_no_key_is_no_answer(calls):
    """Without its prompt file (none installed here) Read() gives up at once: the caller is asked and has
    not answered. The scored survey, with the real prompt, is in tests/e2e/test_sipp_caller_minute.py."""
    number = new_number()
    record = await survey_call(calls, number, "2")
    path = await path_of(calls, record["linkedid"])
    assert path[-1] == ("survey", "asked") and record["hangup_by"] == "agent"
    survey = await calls.pool.fetchrow("SELECT * FROM call_surveys WHERE linkedid = $1", record["linkedid"])
    assert (survey["score"], survey["agent"], survey["branch"]) == (None, AGENT, 2)
    # The reconciler rebuilds the same survey from Asterisk's CEL rows.
    cel, queue_log = await facts_when_ended(calls.pool, record["linkedid"])
    [rebuilt] = rebuild(cel, queue_log, short_abandon_s=calls.controller.settings.short_abandon_s)
    assert rebuilt.survey_asked_at is not None and rebuilt.survey_score is None


async def test_with_the_survey_switched_off_nobody_is_asked(calls):
    number = new_number()
    await calls.set_global("SURVEY_ENABLED", "0")
    try:
        record = await survey_call(calls, number, "2")
    finally:
        await calls.set_global("SURVEY_ENABLED", "1")
    assert record["outcome"] == "answered" and record["hangup_by"] == "agent"
    assert [k for k, _ in await path_of(calls, record["linkedid"])].count("survey") == 0
    assert await calls.pool.fetchval("SELECT count(*) FROM call_surveys WHERE linkedid = $1", record["linkedid"]) == 0


async def test_emergency_dial_figures_rebuilt_from_cel_match_the_live_record(calls):
    """115 unreachable on this instance: the fallback; key -> dial from the live AMI events and
    from the CEL rows agree."""
    number = new_number()
    await calls.set_global("TEST_HOLD_S", "8")
    try:
        await calls.caller("1", number)
        live = await calls.record(number, timeout=40)
    finally:
        await calls.set_global("TEST_HOLD_S", "120")
    assert live["emergency_dial_status"] in ("NOANSWER", "CHANUNAVAIL", "CONGESTION")
    assert 0 <= live["emergency_dial_s"] < 1 and live["emergency_answer_s"] is None
    cel, queue_log = await facts_when_ended(calls.pool, live["linkedid"])
    [rebuilt] = rebuild(cel, queue_log, short_abandon_s=calls.controller.settings.short_abandon_s)
    assert rebuilt.emergency_dial_status == live["emergency_dial_status"]
    assert rebuilt.emergency_dial_s == pytest.approx(float(live["emergency_dial_s"]), abs=0.01)
