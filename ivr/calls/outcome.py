"""The outcome of an ended call: one value of db.records.OUTCOMES (docs/metrics.md)."""
from __future__ import annotations

from db.records import CallRecord


def decide_outcome(record: CallRecord, short_abandon_s: float) -> str:
    if record.outcome in ("transferred_115", "left_message", "callback_requested"):
        return record.outcome
    if record.agent is not None and record.answered_at is not None:
        return "emergency_fallback" if record.emergency else "answered"
    if record.queue is not None:
        waited = record.wait_s or 0.0
        return "short_abandon" if waited < short_abandon_s else "abandoned_queue"
    return "abandoned_ivr"
