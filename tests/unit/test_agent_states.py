"""The agent state machine on literal app_queue events (as Asterisk 22 sends them)."""
from datetime import datetime, timedelta, timezone

import pytest

from ivr.acd import states as m
from ivr.acd.events import Bus
from ivr.acd.queues import summarise
from ivr.acd.states import AgentState, InvalidTransition

T0 = datetime(2021, 8, 19, 8, 0, tzinfo=timezone.utc)
CALL = {"Linkedid": "1629360000.11", "Queue": "cdc", "Interface": "PJSIP/1001", "MemberName": "1001"}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ev(name: str, **fields: str) -> dict[str, str]:
    return {"Event": name, **CALL, **fields}


def ready_agent() -> AgentState:
    return m.login(AgentState("1001"), at(0))


def test_a_call_rings_connects_completes_into_wrap_up_with_its_linkedid():
    state = ready_agent()
    state = m.apply_event(state, ev("AgentCalled", DestChannel="PJSIP/1001-00000001"), at(1))
    assert (state.state, state.linkedid, state.since) == (m.RINGING, "1629360000.11", at(1))
    state = m.apply_event(state, ev("AgentConnect", HoldTime="3", RingTime="2"), at(3))
    assert (state.state, state.linkedid) == (m.ON_CALL, "1629360000.11")
    state = m.apply_event(state, ev("AgentComplete", HoldTime="3", TalkTime="40", Reason="caller"), at(43))
    assert (state.state, state.reason, state.linkedid, state.since) == (m.WRAP_UP, "wrap-up", "1629360000.11", at(43))


def test_ring_no_answer_goes_back_to_ready():
    state = m.apply_event(ready_agent(), ev("AgentCalled"), at(1))
    state = m.apply_event(state, ev("AgentRingNoAnswer", RingTime="15000"), at(16))
    assert state.state == m.READY and state.linkedid is None


def test_ring_no_answer_of_another_call_changes_nothing():
    state = m.apply_event(ready_agent(), ev("AgentCalled"), at(1))
    assert m.apply_event(state, ev("AgentRingNoAnswer", Linkedid="other"), at(2)) is state


def test_member_status_saying_unpaused_does_not_end_wrap_up():
    state = m.apply_event(m.apply_event(ready_agent(), ev("AgentConnect"), at(1)), ev("AgentComplete"), at(9))
    stale = {"Event": "QueueMemberStatus", "Queue": "cdc", "Interface": "PJSIP/1001", "Paused": "0", "InCall": "0"}
    assert m.apply_event(state, stale, at(9.1)) is state
    landed = {"Event": "QueueMemberPause", "Queue": "cdc", "Interface": "PJSIP/1001", "Paused": "1",
              "PausedReason": "wrap-up"}
    assert m.apply_event(state, landed, at(9.2)) is state


def test_pause_from_outside_is_adopted_and_unpause_makes_ready():
    pause = {"Event": "QueueMemberPause", "Interface": "PJSIP/1001", "Paused": "1", "PausedReason": "lunch"}
    state = m.apply_event(ready_agent(), pause, at(5))
    assert (state.state, state.reason) == (m.PAUSED, "lunch")
    state = m.apply_event(state, {**pause, "Paused": "0", "PausedReason": ""}, at(9))
    assert (state.state, state.reason) == (m.READY, None)


def test_events_about_a_logged_out_agent_are_ignored():
    out = AgentState("1001")
    assert m.apply_event(out, ev("AgentConnect"), at(1)) is out


def test_commands_pause_ready_logout():
    state = m.pause(ready_agent(), "meeting", at(1))
    assert (state.state, state.reason) == (m.PAUSED, "meeting")
    assert m.pause(state, "meeting", at(2)) is state
    state = m.ready(state, at(3))
    assert state.state == m.READY and state.reason is None
    assert m.logout(state, at(4)).state == m.LOGGED_OUT


@pytest.mark.parametrize("command", [
    lambda s: m.ready(s, at(5)), lambda s: m.pause(s, "x", at(5)), lambda s: m.logout(s, at(5)),
    lambda s: m.login(s, at(5))])
def test_commands_on_a_call_are_refused_with_a_clear_error(command):
    on_call = m.apply_event(ready_agent(), ev("AgentConnect"), at(1))
    with pytest.raises(InvalidTransition, match=r"agent 1001: cannot .* while on_call"):
        command(on_call)


def test_commands_when_logged_out_are_refused():
    with pytest.raises(InvalidTransition, match="cannot become ready while logged_out"):
        m.ready(AgentState("1001"), at(1))
    with pytest.raises(InvalidTransition, match="cannot log out while logged_out"):
        m.logout(AgentState("1001"), at(1))


def test_end_wrap_up_only_for_its_call():
    wrap = m.apply_event(m.apply_event(ready_agent(), ev("AgentConnect"), at(1)), ev("AgentComplete"), at(9))
    assert m.end_wrap_up(wrap, "another-call", at(10)) is wrap
    assert m.end_wrap_up(wrap, "1629360000.11", at(10)).state == m.READY
    assert m.pause(wrap, "toilet", at(10)).state == m.PAUSED


async def test_bus_drops_the_oldest_for_a_slow_subscriber():
    bus: Bus[int] = Bus(maxsize=2)
    slow = bus.subscribe()
    for n in range(4):
        bus.publish(n)
    assert [slow.get_nowait(), slow.get_nowait()] == [2, 3]
    bus.unsubscribe(slow)
    assert bus.subscribers == 0


def test_queue_summary_from_queue_status_events():
    events = [
        {"Event": "QueueParams", "Queue": "cdc", "Calls": "2"},
        {"Event": "QueueParams", "Queue": "doctors", "Calls": "0"},
        {"Event": "QueueMember", "Queue": "cdc", "Location": "PJSIP/1001", "Status": "1", "Paused": "0", "InCall": "0"},
        {"Event": "QueueMember", "Queue": "cdc", "Location": "PJSIP/1002", "Status": "1", "Paused": "1", "InCall": "0"},
        {"Event": "QueueEntry", "Queue": "cdc", "Position": "1", "Wait": "42"},
        {"Event": "QueueEntry", "Queue": "cdc", "Position": "2", "Wait": "7"},
    ]
    assert summarise(events) == [
        {"queue": "cdc", "waiting": 2, "longest_wait_s": 42, "members": 2, "available": 1},
        {"queue": "doctors", "waiting": 0, "longest_wait_s": 0, "members": 0, "available": 0},
    ]


def test_agent_complete_without_the_callers_fields_still_starts_the_calls_wrap_up():
    """AgentComplete without the caller's fields (app_queue, when the caller's channel is gone
    before it handles the hangup): the member's own call is the one."""
    on_call = m.apply_event(ready_agent(), ev("AgentConnect"), at(1))
    callerless = {"Event": "AgentComplete", "Queue": "cdc", "Interface": "PJSIP/1001", "MemberName": "1001",
                  "TalkTime": "8", "Reason": "agent"}
    state = m.apply_event(on_call, callerless, at(9))
    assert (state.state, state.linkedid, state.since) == (m.WRAP_UP, "1629360000.11", at(9))
