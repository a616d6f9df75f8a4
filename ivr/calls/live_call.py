"""What the call tracker keeps of a call while it lasts: its record so far and the facts it still needs."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from db.records import CallRecord


@dataclass
class LiveCall:
    record: CallRecord
    channels: set[str] = field(default_factory=set)
    queue_joined_at: datetime | None = None
    queue_left_at: datetime | None = None     # left the queue unanswered (a message, a timeout): not waiting
    first_hangup: str | None = None
    first_hangup_at: datetime | None = None
    last_key_at: datetime | None = None       # the caller's latest menu key (for time to 115)
    dial_at: datetime | None = None           # when Dial(115) started
    # Who asked first to end the caller's channel: "caller" when its channel driver reported the
    # far end gone (AMI HangupRequest: a BYE, the other half of a Local channel), "system" when
    # Asterisk itself did (SoftHangupRequest: dialplan Hangup(), the AMI Hangup action, a timeout,
    # a shutdown). A bridge peer's hang-up soft-hangs the caller too, but that peer ends first.
    caller_end_request: str | None = None
