"""Call tracker: AMI events in, call records out. Pure logic — no I/O, no awaits.

Every channel of a call shares Asterisk's Linkedid; the call ends when its last channel
hangs up, and its record is then finalised with one outcome from db.records.OUTCOMES.
Snapshots go to `sink` whenever something a report or a console needs has changed; the
sink must only enqueue (it runs inside the AMI reader).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timezone

from db.records import CallRecord, IvrStep
from ivr.constants import FOLLOWUP_ID_PREFIX
from ivr.calls.caller_steps import note_emergency_step, note_survey_step
from ivr.calls.live_call import LiveCall
from ivr.calls.outcome import decide_outcome
from ivr.constants import CALLBACK_ID_PREFIX, LISTEN_ID_PREFIX, QUEUE_EMERGENCY, USEREVENT_STEP

Event = Mapping[str, str]
Sink = Callable[[CallRecord], None]

EMERGENCY_CHANNEL_PREFIX = "PJSIP/emergency"


def event_time(event: Event, clock: Callable[[], datetime]) -> datetime:
    """Asterisk's own timestamp (manager.conf timestampevents=yes) when present: it is when the
    thing happened, not when we read it."""
    stamp = event.get("Timestamp")
    if stamp:
        try:
            return datetime.fromtimestamp(float(stamp), timezone.utc)
        except ValueError:
            pass
    return clock()


def agent_of(interface: str, member_name: str = "") -> str | None:
    """PJSIP/1001 → 1001; Local/1001@test-agent/n → 1001; else the member name."""
    _, _, rest = interface.partition("/")
    ext = rest.split("@", 1)[0].split("/", 1)[0].split("-", 1)[0]
    if ext.isdigit():
        return ext
    return member_name or None


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


class CallTracker:
    def __init__(self, sink: Sink, *, short_abandon_s: float = 5,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self._sink = sink
        self._short_abandon_s = short_abandon_s
        self._clock = clock
        self.calls: dict[str, LiveCall] = {}
        self._handlers: dict[str, Callable[[LiveCall, Event, datetime], bool]] = {
            "Newchannel": self._on_newchannel,
            "UserEvent": self._on_user_event,
            "QueueCallerJoin": self._on_queue_join,
            "QueueCallerLeave": self._on_queue_leave,
            "AgentRingNoAnswer": self._on_ring_no_answer,
            "AgentConnect": self._on_agent_connect,
            "AgentComplete": self._on_agent_complete,
            "QueueCallerAbandon": self._on_abandon,
            "DialEnd": self._on_dial_end,
            "HangupRequest": self._on_hangup_request,
            "SoftHangupRequest": self._on_hangup_request,
            "Hangup": self._on_hangup,
        }

    @property
    def events(self) -> frozenset[str]:
        """The AMI events `handle` reads (ivr/events.py routes exactly these here)."""
        return frozenset(self._handlers)

    def handle(self, event: Event) -> None:
        handler = self._handlers.get(event.get("Event", ""))
        linkedid = event.get("Linkedid")
        if handler is None or not linkedid:
            return
        call = self.calls.get(linkedid)
        at = event_time(event, self._clock)
        if call is None:
            if event.get("Event") != "Newchannel" or event.get("Uniqueid") != linkedid:
                return  # a call that began before we were listening: the reconciler adopts it
            if linkedid.startswith(FOLLOWUP_ID_PREFIX):
                return  # an agent calling a citizen from the worklist (ivr/followups/dialer.py)
            if linkedid.startswith(LISTEN_ID_PREFIX):
                return  # a supervisor's phone listening to a call (ivr/acd/listen.py): not a call
            if linkedid.startswith(CALLBACK_ID_PREFIX):
                return  # a callback's placeholder or citizen's leg (ivr/callbacks/): in callback_requests
            call = self.calls[linkedid] = LiveCall(CallRecord(linkedid=linkedid, started_at=at))
        self._note_caller(call, event)
        if handler(call, event, at):
            self._emit(call)

    def _emit(self, call: LiveCall) -> None:
        record = call.record
        self._sink(replace(record, ivr_path=list(record.ivr_path)))

    @staticmethod
    def _note_caller(call: LiveCall, event: Event) -> None:
        """The caller's number is on the call's first channel (Uniqueid == Linkedid)."""
        if event.get("Uniqueid") != call.record.linkedid:
            return
        number, name = event.get("CallerIDNum", ""), event.get("CallerIDName", "")
        if number and number != "<unknown>":
            call.record.caller_number = number
        if name and name != "<unknown>":
            call.record.caller_name = name

    # -- handlers: each returns True when the record changed in a way worth writing ------------
    def _on_newchannel(self, call: LiveCall, event: Event, at: datetime) -> bool:
        call.channels.add(event.get("Uniqueid", ""))
        return event.get("Uniqueid") == call.record.linkedid

    def _on_user_event(self, call: LiveCall, event: Event, at: datetime) -> bool:
        if event.get("UserEvent") != USEREVENT_STEP:
            return False
        kind, value = event.get("Step", ""), event.get("Value", "")
        record = call.record
        record.ivr_path.append(IvrStep(at=at, kind=kind, value=value))
        if kind in ("key", "dial", "transfer", "fallback") and note_emergency_step(call, kind, value, at):
            return True
        if kind == "survey":
            return note_survey_step(record, value, at)
        if kind == "language":
            record.language = value
        elif kind == "branch" and value.isdigit():
            record.branch = int(value)
        elif kind == "fallback":
            record.branch, record.emergency = 1, True
        elif kind == "message":
            record.outcome = "left_message"
        elif kind == "callback":
            record.outcome = "callback_requested"    # the placeholder keeps the place: not an abandon
        elif kind == "transfer" and value == "115":
            record.branch = 1
        return kind in ("branch", "fallback", "message", "transfer", "callback")

    def _on_queue_join(self, call: LiveCall, event: Event, at: datetime) -> bool:
        queue = event.get("Queue", "")
        call.record.queue = queue
        call.queue_joined_at, call.queue_left_at = at, None
        if queue == QUEUE_EMERGENCY:
            call.record.branch, call.record.emergency = 1, True
        return True

    def _on_queue_leave(self, call: LiveCall, event: Event, at: datetime) -> bool:
        if call.record.answered_at is None:
            call.queue_left_at = at    # for the wallboard's live calls only; the record is unchanged
        return False

    def _on_ring_no_answer(self, call: LiveCall, event: Event, at: datetime) -> bool:
        call.record.ring_attempts += 1
        return False

    def _on_agent_connect(self, call: LiveCall, event: Event, at: datetime) -> bool:
        record = call.record
        record.answered_at = at
        record.agent = agent_of(event.get("Interface", ""), event.get("MemberName", ""))
        record.wait_s = _seconds(event.get("HoldTime"))
        return True

    def _on_agent_complete(self, call: LiveCall, event: Event, at: datetime) -> bool:
        record = call.record
        record.talk_s = _seconds(event.get("TalkTime"))
        reason = event.get("Reason", "")
        if reason in ("caller", "agent"):
            record.hangup_by = reason
        return False

    def _on_abandon(self, call: LiveCall, event: Event, at: datetime) -> bool:
        call.record.wait_s = _seconds(event.get("HoldTime"))
        return False   # who ended it is decided at the end: the caller, or Asterisk (see LiveCall)

    def _on_hangup_request(self, call: LiveCall, event: Event, at: datetime) -> bool:
        if event.get("Uniqueid") == call.record.linkedid and call.caller_end_request is None:
            call.caller_end_request = "caller" if event.get("Event") == "HangupRequest" else "system"
        return False

    def _on_dial_end(self, call: LiveCall, event: Event, at: datetime) -> bool:
        reached_115 = event.get("DestChannel", "").startswith(EMERGENCY_CHANNEL_PREFIX)
        if reached_115 and event.get("DialStatus") == "ANSWER":
            call.record.branch = 1
            call.record.answered_at = at
            call.record.outcome = "transferred_115"
            note_emergency_step(call, "transfer", "115", at)   # the answer, if the step has not come first
            return True
        return False

    def _on_hangup(self, call: LiveCall, event: Event, at: datetime) -> bool:
        uniqueid = event.get("Uniqueid", "")
        call.channels.discard(uniqueid)
        if call.first_hangup is None and (uniqueid == call.record.linkedid or call.record.answered_at):
            call.first_hangup, call.first_hangup_at = uniqueid, at   # a ring leg never answered ended nothing
        if call.channels:
            return False
        self._finalise(call, at)
        del self.calls[call.record.linkedid]
        return True

    def _finalise(self, call: LiveCall, at: datetime) -> None:
        record = call.record
        record.ended_at = at
        if record.hangup_by is None:
            record.hangup_by = self._who_hung_up(call)
        elif record.hangup_by == "caller" and call.caller_end_request == "system":
            record.hangup_by = "system"   # app_queue says "caller" for any end of the caller's channel
        if record.wait_s is None and call.queue_joined_at is not None:
            until = record.answered_at or at
            record.wait_s = round((until - call.queue_joined_at).total_seconds(), 3)
        if record.talk_s is None and record.answered_at is not None:
            record.talk_s = round(((call.first_hangup_at or at) - record.answered_at).total_seconds(), 3)
        if call.dial_at is not None and record.emergency_dial_status is None:
            record.emergency_dial_status = "CANCEL"    # hung up while 115 rang
        record.outcome = decide_outcome(record, self._short_abandon_s)

    @staticmethod
    def _who_hung_up(call: LiveCall) -> str:
        if call.first_hangup == call.record.linkedid:
            return "system" if call.caller_end_request == "system" else "caller"
        if call.record.outcome == "transferred_115":
            return "115"
        return "agent" if call.record.agent else "system"
