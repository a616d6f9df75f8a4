"""Surge with keep-place callbacks (issue 13, `BENCH_PARTS=surge-callback`): more callers than the
agents can take; a caller not answered within their patience either hangs up (an abandon) or — a
set share of them — presses `*1` ("call me back on this number, keeping my place") and hangs up.
A sipp UAS on the citizens' trunk (IVR_OUTBOUND_URI, 127.0.0.1) answers every callback.

Measured from PostgreSQL after a drain period (until no request is pending, or the drain limit):
the share of callers who were answered or called back, request → citizen reached (median, p90),
and the requests lost: booked but at the end neither `connected`, nor `to_worklist`, nor pending
(waiting with its placeholder in line, dialling with an open attempt, or retry_wait). Must be 0.

Bounded: every sipp run has -m and a wall-clock limit, and talks to 127.0.0.1 only.
Knobs (environment): BENCH_CB_RATE (3 callers/s), BENCH_CB_DURATION (60 s of arrivals),
BENCH_CB_AGENTS (6, spread over the three branches), BENCH_CB_TALK (5 s), BENCH_CB_PATIENCE (15 s), BENCH_CALLBACK_SHARE (0.5),
BENCH_CB_DRAIN (180 s).
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from db.demo import read_demo_data
from ivr.callbacks.placement import request_of
from tests.bench.surge import _wait_all
from tests.bench.surge_agents import ApiAgents
from tests.bench.surge_load import DIGITS, SippRun, SurgeLoad, caller_totals
from tests.bench.surge_stack import SurgeStack
from tests.fixtures.asterisk import AmiProbe
from tests.sipp import BYE_WAIT, DTMF_BLOCK, SCENARIOS, SIPP, _dtmf_actions, free_udp_port

log = logging.getLogger("surge-callback")
PENDING = ("waiting", "dialling", "retry_wait")
ABANDONS = ("abandoned_queue", "short_abandon", "abandoned_ivr")
CITIZEN_HOLD_S = 3          # a called-back citizen talks this long, then the trunk hangs up


@dataclass(frozen=True)
class CallbackLoad:
    rate: float = 3
    duration: float = 60
    agents: int = 6
    talk: float = 5
    patience: float = 15
    share: float = 0.5
    drain: float = 180

    @classmethod
    def from_env(cls) -> "CallbackLoad":
        def num(name: str, default: float) -> float:
            return float(os.environ.get(name, default))
        share = num("BENCH_CALLBACK_SHARE", 0.5)
        if not 0 <= share <= 1:
            raise ValueError(f"BENCH_CALLBACK_SHARE must be between 0 and 1, got {share}")
        return cls(rate=num("BENCH_CB_RATE", 3), duration=num("BENCH_CB_DURATION", 60),
                   agents=int(num("BENCH_CB_AGENTS", 6)), talk=num("BENCH_CB_TALK", 5),
                   patience=num("BENCH_CB_PATIENCE", 15), share=share, drain=num("BENCH_CB_DRAIN", 180))

    @property
    def calls(self) -> int:
        return max(1, int(self.rate * self.duration))


def split_calls(total: int, share: float, kinds: int = len(DIGITS)) -> list[tuple[int, int]]:
    """(plain, callback) callers per branch digit: `total` spread over the digits in turn, and in
    each digit round(share × n) of them are callers who press *1 when their patience runs out."""
    per_digit = [total // kinds + (1 if i < total % kinds else 0) for i in range(kinds)]
    return [(n - round(share * n), round(share * n)) for n in per_digit]


def spread_agents(people: list, count: int) -> list:
    """`count` agents taken in turn from each first branch (cdc, doctors, violations, ...), so that
    every branch the callers choose has agents of its own."""
    groups: dict[str, list] = {}
    for person in people:
        groups.setdefault(person.branches[0][0], []).append(person)
    chosen: list = []
    while len(chosen) < count and any(groups.values()):
        for members in groups.values():
            if members and len(chosen) < count:
                chosen.append(members.pop(0))
    return chosen


def quantile(sorted_values: list[float], q: float) -> float | None:
    """The q-quantile by linear interpolation (PostgreSQL's percentile_cont), None without values."""
    if not sorted_values:
        return None
    position = q * (len(sorted_values) - 1)
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def callback_figures(callers: int, outcomes: dict[str, int], requests: list[dict],
                     in_line: set[int], booked_without_row: int) -> dict:
    """The bench's figures from the calls' outcomes and the callback_requests rows at the end.
    `in_line`: request ids whose placeholder is in a queue; `booked_without_row`: calls whose
    outcome is callback_requested with no request row (lost before they were written)."""
    by_state: dict[str, int] = {}
    for row in requests:
        by_state[row["state"]] = by_state.get(row["state"], 0) + 1
    live = [r for r in requests if not (r["state"] == "cancelled" and r.get("merged_into"))]
    connected = [r for r in live if r["state"] == "connected"]
    pending = [r for r in live if _pending(r, in_line)]
    lost = [r for r in live if r["state"] not in ("connected", "to_worklist") and r not in pending]
    waits = sorted((r["reached_at"] - r["requested_at"]).total_seconds() for r in connected)
    answered = outcomes.get("answered", 0)
    served = answered + len(connected)

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    abandoned = sum(n for outcome, n in outcomes.items() if outcome in ABANDONS)
    return {"callers": callers, "answered": answered, "abandoned": abandoned,
            "callback_requested": outcomes.get("callback_requested", 0), "requests": len(live),
            "requests_by_state": by_state, "called_back": len(connected),
            "answered_or_called_back": served,
            "answered_or_called_back_share": round(served / callers, 3) if callers else None,
            "request_to_reached_s": {"n": len(waits), "median": rounded(quantile(waits, 0.5)),
                                     "p90": rounded(quantile(waits, 0.9)), "max": rounded(waits[-1] if waits else None)},
            "pending_at_end": len(pending), "requests_lost": len(lost) + booked_without_row,
            "lost_ids": [r["id"] for r in lost]}


def _pending(row: dict, in_line: set[int]) -> bool:
    if row["state"] == "waiting":
        return row["id"] in in_line
    if row["state"] == "dialling":
        return bool(row.get("open_attempt"))
    return row["state"] == "retry_wait"


class CallbackSurgeLoad(SurgeLoad):
    """SurgeLoad plus the callers who press *1 at the end of their patience, and the citizens' trunk."""

    def _caller_scenario(self, name: str, digits: str, number_prefix: str, hold_s: float) -> Path:
        workdir = self.root / name.removesuffix(".xml")
        workdir.mkdir()
        text = (SCENARIOS / "caller_dtmf.xml").read_text()
        text = DTMF_BLOCK.sub(lambda _: _dtmf_actions(digits, workdir), text)   # renumbered multi-key pcaps
        text = text.replace("[caller_num]", f"{number_prefix}{self.batches:02d}[call_number]")
        text = BYE_WAIT.sub(lambda m: f"{m[1]}{int(hold_s * 1000)}{m[3]}", text)
        path = workdir / name
        path.write_text(text)
        return path

    async def start_surge(self, load: CallbackLoad, timeout_s: float) -> list[SippRun]:
        """Per branch digit: plain callers (press the digit, hang up after their patience) and callback
        callers (press the digit, at the end of their patience press *1), each spread over the duration."""
        self.batches += 1
        waiting = max(1, int(load.patience) - 1)        # seconds between the digit and the *
        runs = []
        for digit, (plain, callback) in zip(DIGITS, split_calls(load.calls, load.share)):
            kinds = ((f"plain-{digit}", digit, f"091{digit}", plain, load.patience),
                     (f"callback-{digit}", digit + "," * waiting + "*1", f"092{digit}", callback, load.patience + 40))
            for label, keys, prefix, count, hold in kinds:
                if not count:
                    continue
                scenario = self._caller_scenario(f"{label}.xml", keys, prefix, hold)
                runs.append(await self._sipp(
                    label, scenario,
                    ["-s", "1022", "-key", "caller_name", "Bench", "-r", str(count),
                     "-rp", str(int(1000 * load.duration)), "-m", str(count), "-l", str(count),
                     "-p", str(free_udp_port()), "-mp", str(free_udp_port(pair=True))], timeout_s))
        return runs

    async def start_citizen_trunk(self, port: int, calls: int, timeout_s: float) -> SippRun:
        """The citizens' trunk: a sipp UAS on 127.0.0.1:port answering up to `calls` INVITEs."""
        text = BYE_WAIT.sub(lambda m: f"{m[1]}{CITIZEN_HOLD_S * 1000}{m[3]}",
                            (SCENARIOS / "uas_citizen.xml").read_text())
        scenario = self.root / "uas_citizen.xml"
        scenario.write_text(text)
        workdir = self.root / f"{len(self.runs):02d}-citizen-trunk"
        workdir.mkdir()
        command = [SIPP, "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port), "-t", "u1", "-nostdin",
                   "-trace_err", "-trace_stat", "-stf", "stats.csv", "-fd", "1",
                   "-timeout", f"{int(timeout_s)}s", "-m", str(calls),
                   "-mp", str(free_udp_port(pair=True))]
        with open(workdir / "stdout.log", "wb") as out:   # noqa: ASYNC230 (a log file)
            process = await asyncio.create_subprocess_exec(
                *command, cwd=workdir, stdin=asyncio.subprocess.DEVNULL, stdout=out,
                stderr=asyncio.subprocess.STDOUT, start_new_session=True)
        run = SippRun("citizen-trunk", process, workdir)
        self.runs.append(run)
        return run


async def bench_surge_callback(load: CallbackLoad | None = None) -> dict:
    """Run the surge-with-callback bench once; returns its figures."""
    load = load or CallbackLoad.from_env()
    people = spread_agents([p for p in read_demo_data() if p.role == "agent"], load.agents)
    result: dict = {"params": {"rate_cps": load.rate, "duration_s": load.duration, "callers": load.calls,
                               "agents": len(people), "talk_s": load.talk, "patience_s": load.patience,
                               "callback_share": load.share, "drain_limit_s": load.drain,
                               "citizen_hold_s": CITIZEN_HOLD_S, "cpus": os.cpu_count(),
                               "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
                    "started_at": _now().isoformat()}
    trunk_port = free_udp_port()
    stack = SurgeStack(queue_max_wait_s=600, wrapup_limit_s=120, outbound_uri=f"sip:127.0.0.1:{trunk_port}",
                       controller_extra={"IVR_CALLBACK_RETRY_DELAY": "10", "IVR_CALLBACK_ATTEMPTS": "3",
                                         "IVR_CALLBACK_RING": "10"})
    sipp = api = None
    try:
        await stack.start()
        sipp = CallbackSurgeLoad(stack.options.sip_port)
        wall = load.duration + load.patience + load.drain + 120
        await sipp.start_agents(people, talk_s=load.talk, max_calls=load.calls * 3, timeout_s=wall + 60)
        trunk = await sipp.start_citizen_trunk(trunk_port, load.calls, wall + 60)
        await stack.start_controller()
        api = ApiAgents(stack.http_port, people)
        await api.login_all()
        api.start_wrapups()
        since, started = _now(), time.monotonic()
        callers = await sipp.start_surge(load, timeout_s=load.duration + load.patience + 90)
        await _wait_all(callers, load.duration + load.patience + 120)
        result["arrivals_s"] = round(time.monotonic() - started, 1)
        drained = await _drain(stack.database_url, since, load.drain)
        result["drain_s"] = round(drained, 1)
        result.update(await _figures(stack, since, caller_totals(callers)["created"]))
        result["agents_at_end"] = await _agent_states(stack.database_url)
        result["wrapups"] = {"submitted": len(api.submitted), "refused": dict(api.refused)}
        result["sipp"] = {"callers": caller_totals(callers),
                          "citizen_trunk": await _trunk_done(trunk, result["called_back"])}
    finally:
        if api is not None:
            await api.close()
        if sipp is not None:
            await sipp.close()
        await stack.stop()
    result["finished_at"] = _now().isoformat()
    log.info("surge-callback: %s", {k: result.get(k) for k in (
        "answered_or_called_back_share", "request_to_reached_s", "requests_lost")})
    return result


async def _trunk_done(trunk: SippRun, connected: int, limit_s: float = CITIZEN_HOLD_S + 10) -> dict:
    """The trunk's sipp stats once its calls are over (the last citizen may still be talking)."""
    deadline = time.monotonic() + limit_s
    while trunk.stats()["successful"] + trunk.stats()["failed"] < connected and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    return trunk.stats()


async def _drain(database_url: str, since: datetime, limit_s: float) -> float:
    """Waits (polling) until no request of the run is waiting, dialling or in retry_wait; seconds waited."""
    started = time.monotonic()
    con = await asyncpg.connect(database_url, timeout=10)
    try:
        while time.monotonic() - started < limit_s:
            busy = await con.fetchval("SELECT count(*) FROM callback_requests WHERE requested_at >= $1"
                                      " AND state = ANY($2::text[])", since, list(PENDING))
            if not busy:
                break
            await asyncio.sleep(1)
    finally:
        await con.close()
    return time.monotonic() - started


async def _figures(stack: SurgeStack, since: datetime, callers: int) -> dict:
    con = await asyncpg.connect(stack.database_url, timeout=10)
    try:
        outcomes = {r["outcome"] or "incomplete": r["n"] for r in await con.fetch(
            "SELECT outcome, count(*) AS n FROM calls WHERE started_at >= $1 GROUP BY outcome", since)}
        requests = [dict(r) for r in await con.fetch(
            "SELECT r.id, r.state, r.merged_into, r.requested_at, r.reached_at, EXISTS (SELECT 1 FROM"
            " callback_attempts a WHERE a.request_id = r.id AND a.ended_at IS NULL) AS open_attempt"
            " FROM callback_requests r WHERE r.requested_at >= $1", since)]
        without_row = await con.fetchval(
            "SELECT count(*) FROM calls c WHERE c.started_at >= $1 AND c.outcome = 'callback_requested'"
            " AND NOT EXISTS (SELECT 1 FROM callback_requests r WHERE r.original_linkedid = c.linkedid)", since)
        # a booked request whose caller's own record says something else (an abandon counted twice)
        mismatched = [dict(r) for r in await con.fetch(
            "SELECT r.id, c.outcome, c.ended_at - r.requested_at AS ended_after_request FROM callback_requests r"
            " LEFT JOIN calls c ON c.linkedid = r.original_linkedid WHERE r.requested_at >= $1"
            " AND c.outcome IS DISTINCT FROM 'callback_requested'", since)]
    finally:
        await con.close()
    figures = callback_figures(callers, outcomes, requests, await _placeholders_in_line(stack), without_row)
    figures["requests_whose_call_is_not_callback_requested"] = [
        {"id": m["id"], "outcome": m["outcome"], "ended_after_request_s":
         m["ended_after_request"].total_seconds() if m["ended_after_request"] is not None else None}
        for m in mismatched]
    return figures


async def _agent_states(database_url: str) -> dict[str, int]:
    con = await asyncpg.connect(database_url, timeout=10)
    try:
        rows = await con.fetch("SELECT DISTINCT ON (ext) ext, state FROM agent_states ORDER BY ext, started_at DESC")
    finally:
        await con.close()
    states: dict[str, int] = {}
    for row in rows:
        states[row["state"]] = states.get(row["state"], 0) + 1
    return states


async def _placeholders_in_line(stack: SurgeStack) -> set[int]:
    """Request ids whose placeholder (Uniqueid cb-<id>-<serial>) waits in a queue now (AMI QueueStatus)."""
    o = stack.options
    probe = await AmiProbe.connect(o.ami_port, o.ami_user, o.ami_secret)
    try:
        reply = await probe.action({"Action": "QueueStatus"})
        if reply.get("Response") != "Success":
            raise RuntimeError(f"QueueStatus: {reply}")
        await probe.wait_event(lambda e: e.get("Event") == "QueueStatusComplete", 15)
    finally:
        await probe.close()
    entries = (request_of(e.get("Uniqueid", "")) for e in probe.events if e.get("Event") == "QueueEntry")
    return {rid for rid in entries if rid is not None}


def _now() -> datetime:
    return datetime.now(UTC)
