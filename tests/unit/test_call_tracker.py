"""The tracker on literal AMI event sequences, as Asterisk 22 sends them."""
from datetime import datetime, timezone

from ivr.calls.tracker import CallTracker, agent_of

T0 = 1_790_000_000.0
CALLER = dict(Linkedid="100.1", Uniqueid="100.1", CallerIDNum="0912345678", CallerIDName="Nguyễn Văn A")


def ev(name, t, **fields):
    return {"Event": name, "Timestamp": f"{T0 + t:.6f}", **fields}


def step(t, kind, value):
    return ev("UserEvent", t, UserEvent="IvrStep", Step=kind, Value=value, **CALLER)


def run(events, short_abandon_s=5):
    written = []
    tracker = CallTracker(written.append, short_abandon_s=short_abandon_s)
    for event in events:
        tracker.handle(event)
    return tracker, written


def queue_call_until_connect():
    agent_leg = dict(Linkedid="100.1", Uniqueid="100.2")
    return [
        ev("Newchannel", 0, **CALLER),
        step(1, "language", "vi"), step(3, "key", "2"), step(3, "branch", "2"),
        ev("QueueCallerJoin", 3.5, Queue="cdc", Position="1", **CALLER),
        ev("Newchannel", 4, **agent_leg),
        ev("AgentRingNoAnswer", 19, Queue="cdc", Interface="PJSIP/1002", RingTime="15000", **CALLER),
        ev("Newchannel", 20, Linkedid="100.1", Uniqueid="100.3"),
        ev("Hangup", 19.5, **agent_leg),
        ev("AgentConnect", 21, Queue="cdc", Interface="PJSIP/1001", MemberName="1001", HoldTime="17",
           RingTime="1", **CALLER),
    ]


def test_answered_queue_call_gives_one_complete_record():
    events = queue_call_until_connect() + [
        ev("AgentComplete", 51, Queue="cdc", Interface="PJSIP/1001", HoldTime="17", TalkTime="30",
           Reason="caller", **CALLER),
        ev("Hangup", 51, **CALLER),
        ev("Hangup", 51.1, Linkedid="100.1", Uniqueid="100.3"),
    ]
    tracker, written = run(events)
    final = written[-1]
    assert tracker.calls == {}
    assert final.complete and final.outcome == "answered"
    assert (final.branch, final.queue, final.agent, final.language) == (2, "cdc", "1001", "vi")
    assert (final.wait_s, final.talk_s, final.ring_attempts, final.hangup_by) == (17.0, 30.0, 1, "caller")
    assert final.caller_number == "0912345678" and final.caller_name == "Nguyễn Văn A"
    assert final.started_at == datetime.fromtimestamp(T0, timezone.utc)
    assert [(s.kind, s.value) for s in final.ivr_path] == [("language", "vi"), ("key", "2"), ("branch", "2")]
    assert sum(1 for r in written if r.complete) == 1


def test_snapshots_are_copies_not_live_objects():
    _, written = run(queue_call_until_connect())
    assert written[0] is not written[-1]
    assert written[0].queue is None or written[0].agent is None


def test_abandon_in_queue_uses_threshold():
    def abandon_after(hold):
        return [ev("Newchannel", 0, **CALLER), step(1, "branch", "3"),
                ev("QueueCallerJoin", 2, Queue="doctors", **CALLER),
                ev("QueueCallerAbandon", 2 + hold, Queue="doctors", HoldTime=str(hold), **CALLER),
                ev("Hangup", 2 + hold, **CALLER)]
    assert run(abandon_after(12))[1][-1].outcome == "abandoned_queue"
    short = run(abandon_after(3))[1][-1]
    assert short.outcome == "short_abandon" and short.wait_s == 3.0 and short.hangup_by == "caller"


def test_hangup_in_menu_is_abandoned_ivr():
    _, written = run([ev("Newchannel", 0, **CALLER), step(1, "timeout", "1"), ev("Hangup", 9, **CALLER)])
    assert written[-1].outcome == "abandoned_ivr" and written[-1].queue is None


def test_emergency_answered_by_115():
    leg = dict(Linkedid="100.1", Uniqueid="100.9")
    events = [ev("Newchannel", 0, **CALLER), step(2, "branch", "1"), ev("Newchannel", 2.1, **leg),
              ev("DialEnd", 3, DestChannel="PJSIP/emergency-00000001", DialStatus="ANSWER", **CALLER),
              ev("Hangup", 40, **leg), ev("Hangup", 40, **CALLER)]
    final = run(events)[1][-1]
    assert (final.outcome, final.branch, final.hangup_by) == ("transferred_115", 1, "115")
    assert final.talk_s == 37.0


def test_emergency_fallback_answered_by_agent():
    leg = dict(Linkedid="100.1", Uniqueid="100.4")
    events = [ev("Newchannel", 0, **CALLER), step(2, "branch", "1"), step(22, "fallback", "CHANUNAVAIL"),
              ev("QueueCallerJoin", 23, Queue="emergency", **CALLER), ev("Newchannel", 23.5, **leg),
              ev("AgentConnect", 24, Queue="emergency", Interface="Local/1003@test-agent/n", HoldTime="1", **CALLER),
              ev("Hangup", 60, **leg), ev("Hangup", 60, **CALLER)]
    final = run(events)[1][-1]
    assert (final.outcome, final.emergency, final.agent, final.queue) == ("emergency_fallback", True, "1003", "emergency")


def test_left_message_is_kept_as_outcome():
    events = [ev("Newchannel", 0, **CALLER), step(1, "branch", "4"), ev("QueueCallerJoin", 2, Queue="violations", **CALLER),
              step(302, "message", "100.1.wav"), ev("Hangup", 330, **CALLER)]
    final = run(events)[1][-1]
    assert final.outcome == "left_message" and final.wait_s == 328.0


def test_events_of_unknown_calls_and_junk_are_ignored():
    tracker, written = run([ev("Hangup", 1, **CALLER), {"Event": "Newchannel"}, {"Junk": "x"},
                            ev("AgentConnect", 2, Linkedid="nope", HoldTime="abc")])
    assert tracker.calls == {} and written == []


def test_agent_of_interfaces():
    assert agent_of("PJSIP/1001") == "1001"
    assert agent_of("Local/1007@test-agent/n") == "1007"
    assert agent_of("SIP/x", "Lan") == "Lan"


def test_writer_rejects_an_impossible_record_and_keeps_the_rest():
    from datetime import datetime, timezone

    from db.records import CallRecord
    from ivr.store.writer import RecordWriter

    writer = RecordWriter(None)
    now = datetime.now(timezone.utc)
    writer.submit(CallRecord(linkedid="1.1", started_at=now, outcome="exploded"))
    writer.submit(CallRecord(linkedid="1.2", started_at=now, outcome="answered"))
    assert (writer.rejected, writer.buffered) == (1, 1)


def test_a_later_channel_of_an_unknown_call_does_not_start_a_record():
    tracker, written = run([ev("Newchannel", 5, Linkedid="300.1", Uniqueid="300.2")])
    assert tracker.calls == {} and written == []


def test_a_supervisors_listening_call_is_not_a_call():
    listen = dict(Linkedid="listen-2001-1001-0123abcd", Uniqueid="listen-2001-1001-0123abcd",
                  Channel="PJSIP/2001-00000009", CallerIDNum="1001", CallerIDName="Nghe 1001")
    tracker, written = run([ev("Newchannel", 0, **listen), ev("Hangup", 5, **listen)])
    assert written == [] and tracker.calls == {}


def test_agent_complete_without_the_callers_fields_still_gives_talk_time_and_who_hung_up():
    """AgentComplete can come without the caller's fields (no Linkedid): the call ends on its
    hangups and takes its talk time from the connect and the last hangup."""
    events = queue_call_until_connect() + [
        ev("AgentComplete", 51, Queue="cdc", Interface="PJSIP/1001", MemberName="1001", TalkTime="30",
           Reason="agent"),
        ev("Hangup", 51, Linkedid="100.1", Uniqueid="100.3"),
        ev("Hangup", 51.2, **CALLER),
    ]
    tracker, written = run(events)
    final = written[-1]
    assert tracker.calls == {}
    assert final.complete and final.outcome == "answered"
    assert (final.talk_s, final.hangup_by, final.agent) == (30.0, "agent", "1001")


def test_without_agent_complete_the_first_hangup_after_the_answer_says_who_hung_up():
    """An unanswered ring leg (100.2, hung up at 19.5) is not the party who ended the call."""
    events = queue_call_until_connect() + [
        ev("Hangup", 40, **CALLER),
        ev("Hangup", 40.1, Linkedid="100.1", Uniqueid="100.3"),
    ]
    _, written = run(events)
    final = written[-1]
    assert (final.outcome, final.hangup_by, final.talk_s) == ("answered", "caller", 19.0)


# --- issue 12: time to 115 and the survey, from the dialplan's steps ------------------------

EMERGENCY_LEG = dict(Linkedid="100.1", Uniqueid="100.9")


def emergency_call(after_dial):
    return [ev("Newchannel", 0, **CALLER), step(1, "language", "vi"), step(20.25, "key", "1"),
            step(20.26, "branch", "1"), step(20.30, "dial", "115"), ev("Newchannel", 20.31, **EMERGENCY_LEG),
            *after_dial]


def test_time_to_115_is_measured_from_the_key_to_the_dial_and_to_the_answer():
    _, written = run(emergency_call([
        ev("UserEvent", 24.05, UserEvent="IvrStep", Step="transfer", Value="115", **EMERGENCY_LEG),
        ev("DialEnd", 24.06, DestChannel="PJSIP/emergency-0001", DialStatus="ANSWER", **CALLER),
        ev("Hangup", 40, **CALLER), ev("Hangup", 40.1, **EMERGENCY_LEG)]))
    final = written[-1]
    assert final.outcome == "transferred_115"
    assert (final.emergency_dial_s, final.emergency_answer_s, final.emergency_dial_status) == (0.05, 3.8, "ANSWER")


def test_115_not_answering_keeps_the_dial_time_and_the_status_and_no_answer_time():
    _, written = run(emergency_call([
        ev("Hangup", 28.3, **EMERGENCY_LEG), step(28.31, "fallback", "NOANSWER"),
        ev("QueueCallerJoin", 31, Queue="emergency", **CALLER), ev("Hangup", 45, **CALLER)]))
    final = written[-1]
    assert (final.emergency_dial_s, final.emergency_answer_s, final.emergency_dial_status) == (0.05, None, "NOANSWER")
    assert final.emergency and final.queue == "emergency"


def test_caller_hanging_up_while_115_rings_is_cancel():
    _, written = run(emergency_call([ev("Hangup", 23, **CALLER), ev("Hangup", 23.01, **EMERGENCY_LEG)]))
    assert (written[-1].emergency_dial_status, written[-1].emergency_answer_s) == ("CANCEL", None)


def test_other_branches_have_no_time_to_115():
    _, written = run(queue_call_until_connect() + [ev("Hangup", 30, **CALLER),
                                                   ev("Hangup", 30.1, Linkedid="100.1", Uniqueid="100.3")])
    assert (written[-1].emergency_dial_s, written[-1].emergency_dial_status) == (None, None)


def survey_after_agent_hangup(*steps_after):
    return queue_call_until_connect() + [
        ev("AgentComplete", 51, Queue="cdc", Interface="PJSIP/1001", HoldTime="17", TalkTime="30",
           Reason="agent", **CALLER),
        ev("Hangup", 51, Linkedid="100.1", Uniqueid="100.3"),
        step(51.2, "survey", "asked"), *steps_after, ev("Hangup", 60, **CALLER)]


def test_survey_score_is_kept_with_the_call_and_the_agent():
    _, written = run(survey_after_agent_hangup(step(55, "survey", "4")))
    final = written[-1]
    assert final.survey_asked_at == datetime.fromtimestamp(T0 + 51.2, timezone.utc)
    assert (final.survey_score, final.agent, final.branch, final.hangup_by) == (4, "1001", 2, "agent")


def test_survey_without_a_key_is_asked_but_has_no_score():
    _, written = run(survey_after_agent_hangup())
    assert written[-1].survey_asked_at is not None and written[-1].survey_score is None


def test_caller_hanging_up_first_is_never_surveyed():
    _, written = run(queue_call_until_connect() + [
        ev("AgentComplete", 51, Queue="cdc", Interface="PJSIP/1001", HoldTime="17", TalkTime="30",
           Reason="caller", **CALLER),
        ev("Hangup", 51, **CALLER), ev("Hangup", 51.1, Linkedid="100.1", Uniqueid="100.3")])
    assert written[-1].survey_asked_at is None and written[-1].survey_score is None


def queue_abandon(request):
    """A caller in the doctors' queue whose channel ends after `request` (AMI's order on Asterisk 22:
    the QueueCallerAbandon can come before the request)."""
    return [ev("Newchannel", 0, **CALLER), step(1, "branch", "3"),
            ev("QueueCallerJoin", 2, Queue="doctors", **CALLER),
            ev("QueueCallerAbandon", 20, Queue="doctors", HoldTime="18", **CALLER),
            ev(request, 20, Cause="16", **CALLER), ev("Hangup", 20, Cause="16", **CALLER)]


def test_a_caller_who_hangs_up_is_caller_and_asterisk_ending_the_call_is_system():
    assert run(queue_abandon("HangupRequest"))[1][-1].hangup_by == "caller"
    final = run(queue_abandon("SoftHangupRequest"))[1][-1]
    assert (final.outcome, final.hangup_by) == ("abandoned_queue", "system")


def test_only_the_first_request_on_the_callers_own_channel_counts():
    events = queue_abandon("HangupRequest")
    events.insert(3, ev("SoftHangupRequest", 5, Linkedid="100.1", Uniqueid="100.9"))  # another leg
    events.insert(-1, ev("SoftHangupRequest", 20, **CALLER))                            # after the first
    assert run(events)[1][-1].hangup_by == "caller"


def test_agent_complete_caller_becomes_system_when_asterisk_ended_the_callers_channel():
    def talk_ended_by(request, reason):
        return queue_call_until_connect() + [
            ev(request, 50, **CALLER),
            ev("AgentComplete", 51, Queue="cdc", Interface="PJSIP/1001", HoldTime="17", TalkTime="30",
               Reason=reason, **CALLER),
            ev("Hangup", 51, **CALLER), ev("Hangup", 51.1, Linkedid="100.1", Uniqueid="100.3")]
    assert run(talk_ended_by("SoftHangupRequest", "caller"))[1][-1].hangup_by == "system"
    assert run(talk_ended_by("SoftHangupRequest", "agent"))[1][-1].hangup_by == "agent"
    assert run(talk_ended_by("HangupRequest", "caller"))[1][-1].hangup_by == "caller"
