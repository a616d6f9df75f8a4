"""Domain records written by the controller, keyed by Asterisk's Linkedid.

The outcome of a call is one of OUTCOMES; docs/metrics.md defines each.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

OUTCOMES = (
    "abandoned_ivr",       # hung up in the menu, before reaching a queue or 115
    "short_abandon",       # hung up in a queue within IVR_SHORT_ABANDON seconds
    "abandoned_queue",     # hung up in a queue after the short-abandon threshold
    "answered",            # answered by an agent
    "transferred_115",     # branch 1, answered by the 115 center
    "emergency_fallback",  # branch 1, 115 unreachable: answered by an agent first in line
    "left_message",        # waited the maximum and left a message (a ticket follows)
    "failed",              # anything else (congestion, dialplan error)
    "callback_requested",  # pressed * in a queue and booked a keep-place callback: not an abandon
)


@dataclass(frozen=True)
class IvrStep:
    at: datetime
    kind: str          # language | key | invalid | timeout | branch | dial | transfer | fallback | message | survey | callback
    value: str


@dataclass
class CallRecord:
    linkedid: str
    started_at: datetime
    caller_number: str = ""
    caller_name: str = ""
    language: str | None = None
    branch: int | None = None
    queue: str | None = None
    emergency: bool = False
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    agent: str | None = None
    wait_s: float | None = None
    talk_s: float | None = None
    ring_attempts: int = 0          # agent rings that were not answered
    hangup_by: str | None = None    # caller | agent | 115 | system (who hung up first)
    outcome: str | None = None
    ivr_path: list[IvrStep] = field(default_factory=list)
    # Branch 1 (issue 12): from the caller's key to Dial(115) and to 115's answer; how it ended.
    emergency_dial_s: float | None = None
    emergency_answer_s: float | None = None
    emergency_dial_status: str | None = None   # ANSWER | BUSY | NOANSWER | CHANUNAVAIL | CONGESTION | CANCEL | OTHER
    # Post-call survey: asked (the agent ended the call) and the caller's key 1-5, if any.
    survey_asked_at: datetime | None = None
    survey_score: int | None = None
    survey_answered_at: datetime | None = None

    @property
    def complete(self) -> bool:
        return self.ended_at is not None and self.outcome is not None
