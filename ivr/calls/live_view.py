"""The wallboard's live calls, read from the call tracker's memory (implements contracts.ports.LiveCalls).

Each call the tracker follows is in one phase, from what it has seen so far:

  menu         in the menu (no queue, no 115 dial yet), or a branch chosen but not yet queued
  calling_115  Dial(115) started and 115 has not answered (the caller hears "connecting you to 115")
  at_115       115 answered (outcome transferred_115)
  waiting      in a queue, no agent yet (`queue`; the emergency queue is the 115 fallback)
  talking      an agent answered and neither side has hung up (`agent`)
  after        after the agent's call (the survey), or left the queue unanswered (a message)

`since` is when the phase began (the browser ticks the time from it). Pure over the tracker's
state: no I/O, never blocks.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ivr.calls.live_call import LiveCall
from ivr.constants import QUEUE_EMERGENCY

PHASES = ("menu", "calling_115", "at_115", "waiting", "talking", "after")


def phase_of(call: LiveCall) -> tuple[str, datetime]:
    """(phase, since) of one live call."""
    record = call.record
    if record.outcome == "transferred_115":
        return "at_115", record.answered_at or record.started_at
    if record.answered_at is not None:
        if call.first_hangup is None:
            return "talking", record.answered_at
        return "after", call.first_hangup_at or record.answered_at
    if call.queue_joined_at is not None:
        if call.queue_left_at is None:
            return "waiting", call.queue_joined_at
        return "after", call.queue_left_at
    if call.dial_at is not None and record.emergency_dial_status is None:
        return "calling_115", call.dial_at
    return "menu", record.started_at


def live_call(call: LiveCall) -> dict[str, Any]:
    record = call.record
    phase, since = phase_of(call)
    return {"linkedid": record.linkedid, "phase": phase, "since": since.isoformat(),
            "started_at": record.started_at.isoformat(), "caller_number": record.caller_number,
            "caller_name": record.caller_name, "language": record.language, "branch": record.branch,
            "queue": record.queue, "agent": record.agent if phase in ("talking", "after") else None,
            "emergency": record.emergency or record.queue == QUEUE_EMERGENCY or phase in ("calling_115", "at_115")}


class LiveCallView:
    """Implements contracts.ports.LiveCalls over the tracker's `calls` (a mapping linkedid → LiveCall)."""

    def __init__(self, calls: Callable[[], Mapping[str, LiveCall]]) -> None:
        self._calls = calls

    def live_calls(self) -> list[dict[str, Any]]:
        """Every live call, oldest first."""
        return sorted((live_call(call) for call in list(self._calls().values())), key=lambda c: c["started_at"])
