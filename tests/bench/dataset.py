"""A deterministic 1022 data set (seeded random) for the report tests and the benchmark.

Each agent's shift is a row of slots; a slot is ready → ringing → on_call → wrap_up, then
ready, paused (with a reason) or logged out until the next slot; the call it answers is an
`answered` (branches 2–4) or `emergency_fallback` (branch 1) call with a wrap-up. The other
outcomes are calls at random times; tickets without a call stand for the other channels.
Times are whole milliseconds, so PostgreSQL and Python see the same numbers. `load` bulk-
inserts with COPY. `expected_contacts` and `expected_agents` compute the report's figures from the records,
independently of the SQL (loops over tuples), rounded as docs/metrics.md says.
"""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import asyncpg

AGENCIES = ("Sở Y tế", "Công an thành phố", "UBND quận Ba Đình", "CDC Hà Nội", 'Agency "quoted", with comma')
PAUSE_REASONS = ("lunch", "training", "break", None)
WRAPUP_OUTCOMES = ("answered", "resolved", "forwarded", "needs_verification")
TICKET_STATUSES = ("open", "forwarded", "verified", "closed")
QUEUES = {1: "emergency", 2: "cdc", 3: "doctors", 4: "violations"}
# Outcomes of calls no agent answered, with their weights.
UNANSWERED = {"abandoned_ivr": 8, "short_abandon": 5, "abandoned_queue": 7, "transferred_115": 6,
              "left_message": 3, "failed": 1, "callback_requested": 2, None: 1}
AGENT_SHARE = 0.6  # of the calls, answered by an agent (answered or emergency_fallback)


@dataclass
class Dataset:
    calls: list[tuple] = field(default_factory=list)        # CALL_COLUMNS
    wrapups: list[tuple] = field(default_factory=list)      # WRAPUP_COLUMNS
    states: list[tuple] = field(default_factory=list)       # STATE_COLUMNS
    tickets: list[tuple] = field(default_factory=list)      # TICKET_COLUMNS


CALL_COLUMNS = ("linkedid", "branch", "queue", "emergency", "started_at", "answered_at", "ended_at", "agent",
                "wait_s", "talk_s", "outcome")
WRAPUP_COLUMNS = ("linkedid", "ext", "category", "outcome", "agency", "submitted_by", "submitted_at")
STATE_COLUMNS = ("ext", "state", "reason", "linkedid", "started_at", "ended_at")
TICKET_COLUMNS = ("linkedid", "branch", "category", "status", "agency", "created_by", "created_at")


def _ms(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(rng.randint(int(low * 1000), int(high * 1000))) / 1000


def _at(t0: datetime, seconds: Decimal) -> datetime:
    return t0 + timedelta(milliseconds=int(seconds * 1000))


def generate(n_calls: int, first: datetime, last: datetime, *, seed: int = 1022, n_agents: int = 16) -> Dataset:
    """About n_calls calls between first and last (aware datetimes), plus 5% tickets without a call."""
    rng = random.Random(seed)
    data = Dataset()
    span = Decimal(int((last - first).total_seconds()))
    per_agent = max(1, int(n_calls * AGENT_SHARE) // n_agents)
    for agent in range(n_agents):
        _agent_shift(rng, data, f"{1001 + agent}", first, span, per_agent)
    for n in range(n_calls - per_agent * n_agents):
        data.calls.append(_unanswered_call(rng, f"u{n}", _at(first, _ms(rng, 0, float(span)))))
    for n in range(n_calls // 20):
        data.tickets.append(_ticket(rng, _at(first, _ms(rng, 0, float(span)))))
    return data


def _agent_shift(rng: random.Random, data: Dataset, ext: str, first: datetime, span: Decimal,
                 slots: int) -> None:
    slot_s = span / slots
    cursor = Decimal(0)
    for slot in range(slots):
        slot_end = slot_s * (slot + 1) if slot < slots - 1 else span
        ready = _ms(rng, 0, float(slot_s) * 0.2)
        ring = _ms(rng, 0, min(5.0, float(slot_s) * 0.02))
        talk = _ms(rng, float(slot_s) * 0.1, float(slot_s) * 0.5)
        wrap = _ms(rng, 0, float(slot_s) * 0.2)
        linkedid = f"{ext}-{slot}"
        steps = [("ready", None, None, ready), ("ringing", None, linkedid, ring),
                 ("on_call", None, linkedid, talk), ("wrap_up", None, linkedid, wrap)]
        answered_at = _at(first, cursor + ready + ring)
        for state, reason, lid, length in steps:
            data.states.append((ext, state, reason, lid, _at(first, cursor), _at(first, cursor + length)))
            cursor += length
        _tail_state(rng, data, ext, first, cursor, slot_end, last_slot=slot == slots - 1)
        cursor = slot_end
        data.calls.append(_answered_call(rng, linkedid, ext, answered_at, ring, talk))
        if rng.random() < 0.95:
            data.wrapups.append(_wrapup(rng, linkedid, ext, _at(first, cursor)))


def _tail_state(rng: random.Random, data: Dataset, ext: str, first: datetime, begin: Decimal,
                end: Decimal, *, last_slot: bool) -> None:
    roll = rng.random()
    state, reason = ("paused", rng.choice(PAUSE_REASONS)) if roll < 0.2 else \
        ("logged_out", None) if roll < 0.25 else ("ready", None)
    # the last state stays open (ended_at NULL): the agent is still in it
    data.states.append((ext, state, reason, None, _at(first, begin), None if last_slot else _at(first, end)))


def _answered_call(rng: random.Random, linkedid: str, ext: str, answered_at: datetime, ring: Decimal,
                   talk: Decimal) -> tuple:
    branch = rng.choice((1, 2, 2, 3, 3, 4))
    wait = None if branch == 1 and rng.random() < 0.3 else ring + _ms(rng, 0, 60)
    started_at = answered_at - timedelta(milliseconds=int(((wait or ring) + _ms(rng, 5, 20)) * 1000))
    outcome = "emergency_fallback" if branch == 1 else "answered"
    return (linkedid, branch, QUEUES[branch], branch == 1, started_at, answered_at,
            _at(answered_at, talk), ext, wait, talk, outcome)


def _unanswered_call(rng: random.Random, linkedid: str, started_at: datetime) -> tuple:
    outcome = rng.choices(list(UNANSWERED), weights=list(UNANSWERED.values()))[0]
    branch = 1 if outcome == "transferred_115" else rng.choice((None, 2, 3, 4))
    if outcome in ("short_abandon", "abandoned_queue", "left_message", "callback_requested") and branch is None:
        branch = rng.choice((2, 3, 4))
    wait = {"short_abandon": _ms(rng, 0, 4.999), "abandoned_queue": _ms(rng, 5, 200),
            "left_message": Decimal(300)}.get(outcome)
    if outcome == "short_abandon" and rng.random() < 0.1:
        wait = None  # a record without a hold time keeps its recorded outcome
    ended_at = None if outcome is None else started_at + timedelta(seconds=rng.randint(3, 400))
    talk = _ms(rng, 5, 300) if outcome == "transferred_115" else None
    return (linkedid, branch, QUEUES.get(branch), branch == 1, started_at, None, ended_at, None, wait, talk,
            outcome)


def _wrapup(rng: random.Random, linkedid: str, ext: str, at: datetime) -> tuple:
    outcome = rng.choice(WRAPUP_OUTCOMES)
    agency = rng.choice(AGENCIES) if outcome == "forwarded" or (
        outcome == "needs_verification" and rng.random() < 0.5) else None
    return (linkedid, ext, "info", outcome, agency, ext, at)


def _ticket(rng: random.Random, created_at: datetime) -> tuple:
    status = rng.choice(TICKET_STATUSES)
    agency = rng.choice(AGENCIES) if status in ("forwarded", "verified") else None
    return (None, rng.choice((None, 2, 3, 4)), "portal", status, agency, "portal", created_at)


async def load(con: asyncpg.Connection, data: Dataset) -> None:
    """COPY the data set in; the tables are expected to be empty (a fresh database)."""
    async with con.transaction():
        await con.copy_records_to_table("calls", records=data.calls, columns=CALL_COLUMNS)
        await con.copy_records_to_table("wrapups", records=data.wrapups, columns=WRAPUP_COLUMNS)
        await con.copy_records_to_table("agent_states", records=data.states, columns=STATE_COLUMNS)
        await con.copy_records_to_table("tickets", records=data.tickets, columns=TICKET_COLUMNS)
    # as autovacuum would after a bulk load: statistics, and the visibility map for index-only scans
    await con.execute("VACUUM ANALYZE calls, wrapups, agent_states, tickets")


# -- the expected report, computed in Python ----------------------------------------------------

def _round(value: Decimal | int | None, places: int) -> float | None:
    if value is None:
        return None
    return float(Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _ratio(part: int | Decimal, whole: int | Decimal, places: int = 4) -> float | None:
    return None if not whole else _round(Decimal(part) / Decimal(whole), places)


def _mean(values: list[Decimal]) -> float | None:
    return _round(sum(values, Decimal(0)) / len(values), 1) if values else None


def _seconds(delta: timedelta) -> Decimal:
    return Decimal(delta // timedelta(microseconds=1)) / 1_000_000


def _contacts(data: Dataset, start: datetime, end: datetime, zone: ZoneInfo, short_s: Decimal) -> list[dict]:
    wrap_s: dict[str, Decimal] = defaultdict(Decimal)
    for ext, state, reason, linkedid, began, ended in data.states:
        if state == "wrap_up" and linkedid and ended is not None:
            wrap_s[linkedid] += _seconds(ended - began)
    wrapups = {row[0]: row for row in data.wrapups}
    handling_of = {"answered": "resolved", "resolved": "resolved", "forwarded": "forwarded",
                   "needs_verification": "forwarded"}
    contacts = []
    for row in data.calls:
        call = dict(zip(CALL_COLUMNS, row))
        if not start <= call["started_at"] < end:
            continue
        outcome, wait = call["outcome"], call["wait_s"]
        wrapup = wrapups.get(call["linkedid"])
        answered = outcome in ("answered", "emergency_fallback")
        queue_abandon = outcome in ("short_abandon", "abandoned_queue")
        handling = handling_of[wrapup[3]] if wrapup else None
        contacts.append({
            "day": call["started_at"].astimezone(zone).date(), "branch": call["branch"], "channel": "call",
            "outcome": outcome, "answered": answered, "queue_abandon": queue_abandon,
            "short": queue_abandon and (wait < short_s if wait is not None else outcome == "short_abandon"),
            "handling": handling, "agency": wrapup[4] if wrapup else None, "wait": wait,
            "succeeded": handling is not None or outcome == "transferred_115",
            "handle": call["talk_s"] + wrap_s.get(call["linkedid"], Decimal(0))
            if answered and call["talk_s"] is not None else None})
    status_handling = {"closed": "resolved", "forwarded": "forwarded", "verified": "forwarded"}
    for row in data.tickets:
        ticket = dict(zip(TICKET_COLUMNS, row))
        if ticket["linkedid"] is None and start <= ticket["created_at"] < end:
            handling = status_handling.get(ticket["status"])
            contacts.append({
                "day": ticket["created_at"].astimezone(zone).date(), "branch": ticket["branch"],
                "channel": "ticket", "via": ticket.get("channel", "phone"),
                "outcome": None, "answered": False, "queue_abandon": False, "short": False,
                "handling": handling, "agency": ticket["agency"], "wait": None, "handle": None,
                "succeeded": handling is not None})
    return contacts


def _measures(group: list[dict], service_s: Decimal) -> dict:
    def count(test) -> int:
        return sum(1 for c in group if test(c))

    answered = [c for c in group if c["answered"]]
    timed = [c for c in answered if c["wait"] is not None]
    short = count(lambda c: c["short"])
    agencies: dict[str | None, int] = defaultdict(int)
    for c in group:
        if c["handling"] == "forwarded":
            agencies[c["agency"]] += 1
    ranked = sorted(agencies.items(), key=lambda item: (-item[1], item[0] is None, item[0] or ""))
    return {
        "received": len(group), "calls": count(lambda c: c["channel"] == "call"),
        "other_channels": count(lambda c: c["channel"] == "ticket"), "answered": len(answered),
        "transferred_115": count(lambda c: c["outcome"] == "transferred_115"),
        "resolved": count(lambda c: c["handling"] == "resolved"),
        "forwarded": count(lambda c: c["handling"] == "forwarded"),
        "abandoned": count(lambda c: c["queue_abandon"]), "short_abandoned": short,
        "abandoned_ivr": count(lambda c: c["outcome"] == "abandoned_ivr"),
        "left_message": count(lambda c: c["outcome"] == "left_message"),
        "failed": count(lambda c: c["outcome"] == "failed"),
        "unfinished": count(lambda c: c["channel"] == "call" and c["outcome"] is None),
        "succeeded": count(lambda c: c["succeeded"]),
        "success_rate": _ratio(count(lambda c: c["succeeded"]), len(group) - short),
        "service_level": _ratio(sum(1 for c in timed if c["wait"] <= service_s), len(timed)),
        "asa_s": _mean([c["wait"] for c in timed]),
        "aht_s": _mean([c["handle"] for c in group if c["handle"] is not None]),
        "forwarded_by_agency": [{"agency": a, "forwarded": n} for a, n in ranked],
        # Issue 14: a call came by phone; a ticket without a call by its channel (this data set's: phone).
        "by_channel": {via: count(lambda c, via=via: c.get("via", "phone") == via) for via in ("phone", "web", "sms")},
    }


def _local_days(start: datetime, end: datetime, zone: ZoneInfo) -> list:
    day, last = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
    days = []
    while day <= last:
        days.append(day)
        day += timedelta(days=1)
    return days


def _branch_key(branch: int | None) -> int:
    return branch or 0


def expected_contacts(data: Dataset, start: datetime, end: datetime, tz: str, short_abandon_s: float = 5,
                      service_level_s: float = 20) -> dict:
    zone = ZoneInfo(tz)
    contacts = _contacts(data, start, end, zone, Decimal(str(short_abandon_s)))
    service_s = Decimal(str(service_level_s))
    days, branches = _local_days(start, end, zone), (None, 1, 2, 3, 4)

    def pick(day=None, branch=...) -> dict:
        return _measures([c for c in contacts if (day is None or c["day"] == day)
                          and (branch is ... or c["branch"] == branch)], service_s)

    return {
        "totals": pick(),
        "by_day": [{"day": d.isoformat(), **pick(day=d)} for d in days],
        "by_branch": [{"branch": b, **pick(branch=b)} for b in branches],
        "by_day_branch": [{"day": d.isoformat(), "branch": b, **pick(day=d, branch=b)}
                          for d in days for b in branches],
    }


def expected_agents(data: Dataset, start: datetime, end: datetime, now: datetime) -> dict:
    per: dict[str | None, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    pauses: dict[tuple, Decimal] = defaultdict(Decimal)
    for ext, state, reason, linkedid, began, ended in data.states:
        if began >= end or (ended is not None and (ended <= start or ended == began)):
            continue  # outside the range, or of zero length
        seconds = max(_seconds(min(ended or now, end) - max(began, start)), Decimal(0))
        group = "available" if state in ("ready", "ringing", "on_call", "wrap_up") else state
        for key in (ext, None):
            per[key][group] += seconds
            if state in ("on_call", "wrap_up"):
                per[key][state] += seconds
            if state == "paused":
                pauses[(key, reason)] += seconds

    def agent(sums: dict[str, Decimal]) -> dict:
        return {"available_s": _round(sums["available"], 1), "on_call_s": _round(sums["on_call"], 1),
                "wrap_up_s": _round(sums["wrap_up"], 1), "paused_s": _round(sums["paused"], 1),
                "occupancy": _ratio(sums["on_call"] + sums["wrap_up"], sums["available"])}

    ordered = sorted(pauses.items(), key=lambda item: (item[0][1] is None, item[0][1] or ""))
    return {
        "agents": [{"ext": ext, **agent(per[ext])} for ext in sorted(k for k in per if k is not None)],
        "agents_total": agent(per[None]),
        "pauses": {
            "by_agent": [{"ext": e, "reason": r, "paused_s": _round(s, 1)}
                         for (e, r), s in sorted((i for i in ordered if i[0][0] is not None),
                                                 key=lambda item: item[0][0])],
            "by_reason": [{"reason": r, "paused_s": _round(s, 1)} for (e, r), s in ordered if e is None],
        },
    }
