"""Call records: idempotent batched upserts (the controller's writer) and queries (the console).

Merging rules, so records can arrive again, late or partial (after a reconnect, a replay
from the raw facts, or a writer retry) without losing what is known:
- a NULL (or an empty caller number/name) never overwrites a known value;
- started_at keeps the earliest value, ring_attempts the largest, emergency stays true once true;
- the IVR path is merged by position (seq = index in CallRecord.ivr_path): a step at the
  same seq is replaced, steps beyond a shorter path are kept.
Naive datetimes are taken as UTC. Text is stored exactly, except NUL and lone surrogates,
which PostgreSQL cannot store and become U+FFFD.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, Union

import asyncpg

from db.records import OUTCOMES, CallRecord
from db.serialize import clean_text, json_row

# Asterisk linkedids are "<epoch>.<n>" (or a channel id we set): a longer value is looked up as nothing.
MAX_LINKEDID_CHARS = 128

Queryable = Union[asyncpg.Pool, asyncpg.Connection]

_UPSERT_CALL = """
INSERT INTO calls (linkedid, caller_number, caller_name, language, branch, queue, emergency,
                   started_at, answered_at, ended_at, agent, wait_s, talk_s, ring_attempts,
                   hangup_by, outcome, emergency_dial_s, emergency_answer_s, emergency_dial_status,
                   updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, now())
ON CONFLICT (linkedid) DO UPDATE SET
    caller_number = COALESCE(NULLIF(EXCLUDED.caller_number, ''), calls.caller_number),
    caller_name   = COALESCE(NULLIF(EXCLUDED.caller_name, ''), calls.caller_name),
    language      = COALESCE(EXCLUDED.language, calls.language),
    branch        = COALESCE(EXCLUDED.branch, calls.branch),
    queue         = COALESCE(EXCLUDED.queue, calls.queue),
    emergency     = calls.emergency OR EXCLUDED.emergency,
    started_at    = LEAST(calls.started_at, EXCLUDED.started_at),
    answered_at   = COALESCE(EXCLUDED.answered_at, calls.answered_at),
    ended_at      = COALESCE(EXCLUDED.ended_at, calls.ended_at),
    agent         = COALESCE(EXCLUDED.agent, calls.agent),
    wait_s        = COALESCE(EXCLUDED.wait_s, calls.wait_s),
    talk_s        = COALESCE(EXCLUDED.talk_s, calls.talk_s),
    ring_attempts = GREATEST(calls.ring_attempts, EXCLUDED.ring_attempts),
    hangup_by     = COALESCE(EXCLUDED.hangup_by, calls.hangup_by),
    outcome       = COALESCE(EXCLUDED.outcome, calls.outcome),
    emergency_dial_s      = COALESCE(EXCLUDED.emergency_dial_s, calls.emergency_dial_s),
    emergency_answer_s    = COALESCE(EXCLUDED.emergency_answer_s, calls.emergency_answer_s),
    emergency_dial_status = COALESCE(EXCLUDED.emergency_dial_status, calls.emergency_dial_status),
    updated_at    = now()
"""

# A survey row exists once the question was asked; a later write may add the score, never remove it.
_UPSERT_SURVEY = """
INSERT INTO call_surveys (linkedid, asked_at, agent, branch, score, answered_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (linkedid) DO UPDATE SET
    asked_at    = LEAST(call_surveys.asked_at, EXCLUDED.asked_at),
    agent       = COALESCE(EXCLUDED.agent, call_surveys.agent),
    branch      = COALESCE(EXCLUDED.branch, call_surveys.branch),
    score       = COALESCE(EXCLUDED.score, call_surveys.score),
    answered_at = COALESCE(EXCLUDED.answered_at, call_surveys.answered_at),
    updated_at  = now()
"""

_UPSERT_STEP = """
INSERT INTO call_steps (linkedid, seq, at, kind, value) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (linkedid, seq) DO UPDATE SET at = EXCLUDED.at, kind = EXCLUDED.kind, value = EXCLUDED.value
"""

_CALL_COLUMNS = """c.linkedid, c.caller_number AS caller, c.caller_number, c.caller_name, c.language, c.branch,
    c.queue, c.emergency, c.started_at, c.answered_at, c.ended_at, c.agent, c.wait_s, c.talk_s, c.ring_attempts,
    c.hangup_by, c.outcome, c.complete, c.updated_at, c.emergency_dial_s, c.emergency_answer_s,
    c.emergency_dial_status, s.score AS survey, s.linkedid IS NOT NULL AS survey_asked"""
_CALLS_FROM = "calls c LEFT JOIN call_surveys s ON s.linkedid = c.linkedid"

HANGUP_BY = ("caller", "agent", "115", "system")
DIAL_STATUSES = ("ANSWER", "BUSY", "NOANSWER", "CHANUNAVAIL", "CONGESTION", "CANCEL", "OTHER")
MAX_LIST_LIMIT = 500


def validate_call(record: CallRecord) -> None:
    """Raise ValueError naming the call when a record would break a table constraint."""
    problems = []
    if not record.linkedid:
        problems.append("empty linkedid")
    if record.outcome is not None and record.outcome not in OUTCOMES:
        problems.append(f"outcome {record.outcome!r} not in OUTCOMES")
    if record.branch is not None and not 1 <= record.branch <= 4:
        problems.append(f"branch {record.branch!r} not in 1..4")
    if record.hangup_by is not None and record.hangup_by not in HANGUP_BY:
        problems.append(f"hangup_by {record.hangup_by!r} not in {HANGUP_BY}")
    if record.emergency_dial_status is not None and record.emergency_dial_status not in DIAL_STATUSES:
        problems.append(f"emergency_dial_status {record.emergency_dial_status!r} not in {DIAL_STATUSES}")
    if record.survey_score is not None and not 1 <= record.survey_score <= 5:
        problems.append(f"survey_score {record.survey_score!r} not in 1..5")
    for name in ("wait_s", "talk_s", "emergency_dial_s", "emergency_answer_s"):
        value = getattr(record, name)
        if value is not None and not (math.isfinite(value) and 0 <= value < 1e7):
            problems.append(f"{name} {value!r} is not a duration in seconds")
    if problems:
        raise ValueError(f"call {record.linkedid!r}: " + "; ".join(problems))


async def upsert_calls(con: asyncpg.Connection, records: list[CallRecord]) -> None:
    """Write a batch of call records in one transaction (all or nothing). Validates first."""
    if not records:
        return
    for record in records:
        validate_call(record)
    call_rows = [_call_row(r) for r in records]
    step_rows = [(clean_text(r.linkedid), seq, _utc(step.at), clean_text(step.kind), clean_text(step.value))
                 for r in records for seq, step in enumerate(r.ivr_path)]
    survey_rows = [(clean_text(r.linkedid), _utc(r.survey_asked_at), _opt_text(r.agent), r.branch, r.survey_score,
                    _opt_utc(r.survey_answered_at)) for r in records if r.survey_asked_at is not None]
    async with con.transaction():
        await con.executemany(_UPSERT_CALL, call_rows)
        if step_rows:
            await con.executemany(_UPSERT_STEP, step_rows)
        if survey_rows:
            await con.executemany(_UPSERT_SURVEY, survey_rows)


def _call_row(r: CallRecord) -> tuple[Any, ...]:
    return (
        clean_text(r.linkedid), clean_text(r.caller_number or ""), clean_text(r.caller_name or ""),
        _opt_text(r.language), r.branch, _opt_text(r.queue), bool(r.emergency),
        _utc(r.started_at), _opt_utc(r.answered_at), _opt_utc(r.ended_at), _opt_text(r.agent),
        r.wait_s, r.talk_s, int(r.ring_attempts or 0), r.hangup_by, r.outcome,
        r.emergency_dial_s, r.emergency_answer_s, r.emergency_dial_status,
    )


def _opt_text(value: str | None) -> str | None:
    return None if value is None else clean_text(value)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _opt_utc(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


async def list_calls(pool: Queryable, *, limit: int = 100, before: datetime | None = None,
                     agent: str | None = None) -> list[dict[str, Any]]:
    """Most recent calls first (started_at DESC); `before` pages back, `agent` filters by extension."""
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIST_LIMIT}")
    rows = await pool.fetch(
        f"""SELECT {_CALL_COLUMNS} FROM {_CALLS_FROM}
            WHERE ($1::timestamptz IS NULL OR c.started_at < $1)
              AND ($2::text IS NULL OR c.agent = $2)
            ORDER BY c.started_at DESC, c.linkedid DESC
            LIMIT $3""",
        None if before is None else _utc(before), agent, limit)
    return [json_row(row) for row in rows]


async def get_call(pool: Queryable, linkedid: str) -> dict[str, Any] | None:
    """One call with its IVR path (list of {seq, at, kind, value}), or None."""
    row = await pool.fetchrow(f"SELECT {_CALL_COLUMNS} FROM {_CALLS_FROM} WHERE c.linkedid = $1", linkedid)
    if row is None:
        return None
    steps = await pool.fetch(
        "SELECT seq, at, kind, value FROM call_steps WHERE linkedid = $1 ORDER BY seq", linkedid)
    call = json_row(row)
    call["ivr_path"] = [json_row(step) for step in steps]
    return call
