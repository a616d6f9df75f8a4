"""The caller's minute (issue 12), read from the IVR steps the dialplan records: time to 115 and the
post-call survey. Pure functions over a live call; the tracker calls them for each step, so a record
rebuilt from CEL by the reconciler gets the same figures as a live one.

Emergency lane (dialplan/extensions_branch.conf): key=1 (the caller's key), dial=115 (Dial() starts),
then transfer=115 (115 answered, run on the 115 leg) or fallback=<DIALSTATUS>. Survey
(dialplan/extensions_survey.conf): survey=asked, then survey=<1-5> when the caller pressed one.
"""
from __future__ import annotations

from datetime import datetime

from ivr.calls.live_call import LiveCall

DIAL_STATUSES = ("BUSY", "NOANSWER", "CHANUNAVAIL", "CONGESTION")
SCORES = ("1", "2", "3", "4", "5")


def _since_key(call: LiveCall, at: datetime) -> float | None:
    if call.last_key_at is None:
        return None
    return round(max(0.0, (at - call.last_key_at).total_seconds()), 3)


def note_emergency_step(call: LiveCall, kind: str, value: str, at: datetime) -> bool:
    """True when the record changed in a way worth writing now."""
    record = call.record
    if kind == "key":
        call.last_key_at = at
        return False
    if kind == "dial" and value == "115" and call.dial_at is None:
        call.dial_at = at
        record.emergency_dial_s = _since_key(call, at)   # None without a key step: no figure, not 0
        return True
    if call.dial_at is None or record.emergency_dial_status is not None:
        return False                        # not an emergency dial, or its end is already known
    if kind == "transfer" and value == "115":
        record.emergency_answer_s = _since_key(call, at)
        record.emergency_dial_status = "ANSWER"
    elif kind == "fallback":
        record.emergency_dial_status = value if value in DIAL_STATUSES else "OTHER"
    return False     # the tracker's own handling of transfer/fallback decides the write


def note_survey_step(record, value: str, at: datetime) -> bool:
    if value == "asked":
        record.survey_asked_at = record.survey_asked_at or at
        return True
    if value in SCORES and record.survey_asked_at is not None and record.survey_score is None:
        record.survey_score, record.survey_answered_at = int(value), at
        return True
    return False
