"""The wallboard's live calls: each call's phase from the AMI events the tracker has seen."""
from __future__ import annotations

from datetime import datetime, timezone

from ivr.calls.live_view import LiveCallView
from ivr.calls.tracker import CallTracker
from ivr.constants import USEREVENT_STEP

LID = "1700000000.1"


def _tracker() -> CallTracker:
    return CallTracker(lambda record: None, clock=lambda: datetime(2031, 3, 15, tzinfo=timezone.utc))


def _event(name: str, at: float, uniqueid: str = LID, **fields: str) -> dict[str, str]:
    return {"Event": name, "Linkedid": LID, "Uniqueid": uniqueid, "Timestamp": str(at), **fields}


def _phase(tracker: CallTracker) -> tuple[str, str]:
    (call,) = LiveCallView(lambda: tracker.calls).live_calls()
    return call["phase"], call["since"]


def test_a_call_goes_from_the_menu_to_waiting_to_talking_then_leaves_the_board():
    tracker = _tracker()
    tracker.handle(_event("Newchannel", 100, CallerIDNum="0906000001", CallerIDName="<b>x</b>"))
    (call,) = LiveCallView(lambda: tracker.calls).live_calls()
    assert (call["phase"], call["caller_number"], call["caller_name"]) == ("menu", "0906000001", "<b>x</b>")
    tracker.handle(_event("UserEvent", 104, UserEvent=USEREVENT_STEP, Step="branch", Value="3"))
    assert _phase(tracker)[0] == "menu"
    tracker.handle(_event("QueueCallerJoin", 105, Queue="doctors"))
    assert _phase(tracker) == ("waiting", datetime.fromtimestamp(105, timezone.utc).isoformat())
    tracker.handle(_event("Newchannel", 110, uniqueid="1700000000.2"))
    tracker.handle(_event("QueueCallerLeave", 112, Queue="doctors"))
    tracker.handle(_event("AgentConnect", 112, Queue="doctors", Interface="Local/1011@test-agent/n",
                          MemberName="1011", HoldTime="7"))
    (call,) = LiveCallView(lambda: tracker.calls).live_calls()
    assert (call["phase"], call["agent"], call["queue"]) == ("talking", "1011", "doctors")
    tracker.handle(_event("Hangup", 140, uniqueid="1700000000.2"))
    assert _phase(tracker)[0] == "after"          # the survey
    tracker.handle(_event("Hangup", 150))
    assert LiveCallView(lambda: tracker.calls).live_calls() == []


def test_a_caller_who_leaves_the_queue_unanswered_no_longer_waits():
    tracker = _tracker()
    tracker.handle(_event("Newchannel", 100))
    tracker.handle(_event("QueueCallerJoin", 105, Queue="violations"))
    tracker.handle(_event("QueueCallerLeave", 400, Queue="violations"))
    assert _phase(tracker)[0] == "after"


def test_an_emergency_call_rings_115_then_is_connected():
    tracker = _tracker()
    tracker.handle(_event("Newchannel", 100))
    tracker.handle(_event("UserEvent", 103, UserEvent=USEREVENT_STEP, Step="key", Value="1"))
    tracker.handle(_event("UserEvent", 103.2, UserEvent=USEREVENT_STEP, Step="dial", Value="115"))
    (call,) = LiveCallView(lambda: tracker.calls).live_calls()
    assert (call["phase"], call["emergency"]) == ("calling_115", True)
    tracker.handle(_event("Newchannel", 103.3, uniqueid="1700000000.3"))
    tracker.handle(_event("DialEnd", 106, DestChannel="PJSIP/emergency-0001", DialStatus="ANSWER"))
    assert _phase(tracker)[0] == "at_115"


def test_the_115_fallback_waits_in_the_emergency_queue_flagged():
    tracker = _tracker()
    tracker.handle(_event("Newchannel", 100))
    tracker.handle(_event("UserEvent", 103, UserEvent=USEREVENT_STEP, Step="dial", Value="115"))
    tracker.handle(_event("UserEvent", 123, UserEvent=USEREVENT_STEP, Step="fallback", Value="NOANSWER"))
    tracker.handle(_event("QueueCallerJoin", 123.5, Queue="emergency"))
    (call,) = LiveCallView(lambda: tracker.calls).live_calls()
    assert (call["phase"], call["queue"], call["emergency"]) == ("waiting", "emergency", True)


def test_wallboard_thresholds_are_validated_and_passed_to_the_console():
    import pytest

    from agent_console.config import ConsoleConfig
    from ivr.config import Settings, SettingsError
    env = {"IVR_STATE_DIR": "/tmp/ivr1022-unit-wall", "IVR_AMI_SECRET": "x"}
    settings = Settings.from_env({**env, "IVR_WALL_WAIT_WARN": "30", "IVR_WALL_WAIT_ALARM": "90",
                                  "IVR_WALL_SL_WARN": "85", "IVR_WALL_ABANDON_ALARM": "12"})
    limits = ConsoleConfig.from_settings(settings).wall_thresholds()
    assert limits == {"longest_wait_s": {"warn": 30, "alarm": 90}, "service_level": {"warn": 0.85, "alarm": 0.6},
                      "abandon_rate": {"warn": 0.05, "alarm": 0.12}}
    for bad, variable in (({"IVR_WALL_WAIT_WARN": "200"}, "IVR_WALL_WAIT_ALARM"),
                          ({"IVR_WALL_SL_ALARM": "90"}, "IVR_WALL_SL_ALARM"),
                          ({"IVR_WALL_ABANDON_WARN": "abc"}, "IVR_WALL_ABANDON_WARN"),
                          ({"IVR_WALL_ABANDON_ALARM": "101"}, "IVR_WALL_ABANDON_ALARM")):
        with pytest.raises(SettingsError, match=variable):
            Settings.from_env({**env, **bad})


def test_totals_across_queues_come_from_the_counts():
    from agent_console.api.wallboard import totals
    from db.wallboard import figures
    queues = [{"queue": "cdc", "waiting": 2, "longest_wait_s": 40, "available": 1, **figures(8, 2, 6, 8)},
              {"queue": "doctors", "waiting": 0, "longest_wait_s": 0, "available": 1, **figures(2, 0, 2, 2)}]
    total = totals(queues, [{"ext": "1001", "state": "ready"}, {"ext": "1002", "state": "on_call"}])
    assert (total["waiting"], total["longest_wait_s"], total["available"]) == (2, 40, 1)
    assert (total["answered"], total["abandoned"], total["service_level"], total["abandon_rate"]) == (10, 2, 0.8, 0.1667)
