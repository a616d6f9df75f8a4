"""An agent's state: pure transitions, no I/O, no awaits.

logged_out · ready · ringing · on_call · wrap_up · paused(reason)

Commands (login, logout, ready, pause) are requests: one that makes no sense in the current
state raises InvalidTransition and changes nothing. app_queue events are facts: they always
apply (or are ignored when they say nothing new); they never raise.

Wrap-up is a state of its own, not a pause: AgentComplete moves on_call → wrap_up, and only the
service ends it (wrap-up submitted or the limit passed). A member-status event saying "not
paused" while in wrap-up is ignored: it is the status from before our wrap-up pause landed.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from contracts.errors import AgentCommandRefused

LOGGED_OUT = "logged_out"
READY = "ready"
RINGING = "ringing"
ON_CALL = "on_call"
WRAP_UP = "wrap_up"
PAUSED = "paused"
STATES = (LOGGED_OUT, READY, RINGING, ON_CALL, WRAP_UP, PAUSED)

WRAP_UP_REASON = "wrap-up"   # the QueuePause reason Asterisk shows while an agent is in wrap-up

Event = Mapping[str, str]


class InvalidTransition(AgentCommandRefused):
    def __init__(self, ext: str, command: str, state: str, why: str = ""):
        message = f"agent {ext}: cannot {command} while {state}" + (f" ({why})" if why else "")
        super().__init__(message)
        self.ext, self.command, self.state = ext, command, state


@dataclass(frozen=True)
class AgentState:
    ext: str
    state: str = LOGGED_OUT
    since: datetime | None = None
    reason: str | None = None
    linkedid: str | None = None

    @property
    def logged_in(self) -> bool:
        return self.state != LOGGED_OUT

    def to(self, state: str, at: datetime, *, reason: str | None = None,
           linkedid: str | None = None) -> AgentState:
        return replace(self, state=state, since=at, reason=reason, linkedid=linkedid)

    def as_dict(self) -> dict[str, object]:
        return {"ext": self.ext, "state": self.state, "reason": self.reason, "since": self.since,
                "linkedid": self.linkedid}


# -- commands ----------------------------------------------------------------------------------

def login(current: AgentState, at: datetime) -> AgentState:
    if current.logged_in:
        raise InvalidTransition(current.ext, "log in", current.state, "already logged in")
    return current.to(READY, at)


def logout(current: AgentState, at: datetime) -> AgentState:
    if current.state == LOGGED_OUT:
        raise InvalidTransition(current.ext, "log out", current.state)
    if current.state in (ON_CALL, RINGING):
        raise InvalidTransition(current.ext, "log out", current.state, "finish the call first")
    return current.to(LOGGED_OUT, at)


def ready(current: AgentState, at: datetime) -> AgentState:
    if current.state == READY:
        return current
    if current.state not in (PAUSED, WRAP_UP):
        raise InvalidTransition(current.ext, "become ready", current.state)
    return current.to(READY, at)


def pause(current: AgentState, reason: str, at: datetime) -> AgentState:
    if current.state not in (READY, PAUSED, WRAP_UP):
        raise InvalidTransition(current.ext, "pause", current.state)
    if current.state == PAUSED and current.reason == reason:
        return current
    return current.to(PAUSED, at, reason=reason)


def end_wrap_up(current: AgentState, linkedid: str | None, at: datetime) -> AgentState:
    """Leave wrap-up for `linkedid` (None: whatever call); any other state is left as it is."""
    if current.state == WRAP_UP and (linkedid is None or current.linkedid == linkedid):
        return current.to(READY, at)
    return current


# -- events ------------------------------------------------------------------------------------

def apply_event(current: AgentState, event: Event, at: datetime) -> AgentState:
    """The state after an app_queue event about this agent's member; `current` when nothing changes."""
    if not current.logged_in:
        return current
    handler = _EVENT_HANDLERS.get(event.get("Event", ""))
    return handler(current, event, at) if handler else current


def _on_called(current: AgentState, event: Event, at: datetime) -> AgentState:
    return current.to(RINGING, at, linkedid=event.get("Linkedid") or None)


def _on_ring_no_answer(current: AgentState, event: Event, at: datetime) -> AgentState:
    if current.state == RINGING and current.linkedid == (event.get("Linkedid") or None):
        return current.to(READY, at)
    return current


def _on_connect(current: AgentState, event: Event, at: datetime) -> AgentState:
    return current.to(ON_CALL, at, linkedid=event.get("Linkedid") or None)


def _on_complete(current: AgentState, event: Event, at: datetime) -> AgentState:
    linkedid = event.get("Linkedid") or current.linkedid
    if current.state == ON_CALL and current.linkedid not in (None, linkedid):
        return current   # a late event about an earlier call
    if current.state == WRAP_UP and current.linkedid == linkedid:
        return current   # already in its wrap-up (the agent's hangup came first)
    return current.to(WRAP_UP, at, reason=WRAP_UP_REASON, linkedid=linkedid)


def _on_pause_status(current: AgentState, event: Event, at: datetime) -> AgentState:
    """QueueMemberPause / QueueMemberStatus: keep our paused/ready in line with Asterisk's."""
    paused = event.get("Paused") == "1"
    reason = event.get("PausedReason") or event.get("Reason") or ""
    if current.state in (RINGING, ON_CALL, WRAP_UP):
        return current   # call-related states end by call events or by the service
    if paused and (current.state != PAUSED or (reason and reason != current.reason)):
        return current.to(PAUSED, at, reason=reason or current.reason or "paused")
    if not paused and current.state == PAUSED:
        return current.to(READY, at)
    return current


_EVENT_HANDLERS = {
    "AgentCalled": _on_called,
    "AgentRingNoAnswer": _on_ring_no_answer,
    "AgentConnect": _on_connect,
    "AgentComplete": _on_complete,
    "QueueMemberPause": _on_pause_status,
    "QueueMemberStatus": _on_pause_status,
}

AGENT_EVENTS = frozenset(_EVENT_HANDLERS)
