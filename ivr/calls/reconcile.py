"""Reconciling call records with Asterisk's raw facts after a gap.

While the controller is down Asterisk goes on writing CEL and queue_log rows into
PostgreSQL. On every (re)connection, and periodically, the reconciler
- rebuilds the record of every call Asterisk finished (LINKEDID_END) that has no complete
  record, by replaying its raw facts through a fresh CallTracker (the same logic as live);
- adopts calls that are still up but unknown to the live tracker, by replaying their facts
  into it, so the live AMI events that follow finish them;
- repairs the report roll-up (migration 015) of the local days of the calls it rebuilt, on the
  pass after, once the writer has stored them (the triggers should have kept it exact: a repair
  that finds wrong cells is logged).
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable

import asyncpg

from db.raw_facts import ended_unrecorded_calls, facts_of
from db.report_rollup import local_days, repair_days, rollup_zone
from db.records import CallRecord
from ivr.ami.client import AmiClient, AmiError
from ivr.calls.raw_facts import events_from_facts
from ivr.calls.tracker import CallTracker
from ivr.periodic import Periodic

log = logging.getLogger(__name__)

DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncio.TimeoutError)


def rebuild(cel_rows, queue_rows, short_abandon_s: float) -> list[CallRecord]:
    """The complete records that the facts describe (calls whose every channel has ended)."""
    finals: dict[str, CallRecord] = {}
    tracker = CallTracker(lambda r: finals.__setitem__(r.linkedid, r), short_abandon_s=short_abandon_s)
    for event in events_from_facts(cel_rows, queue_rows):
        tracker.handle(event)
    return [record for record in finals.values() if record.complete]


class Reconciler:
    def __init__(self, pool: asyncpg.Pool, tracker: CallTracker, sink: Callable[[CallRecord], None],
                 ami: AmiClient, *, short_abandon_s: float, interval: float = 30.0):
        self._pool = pool
        self._tracker = tracker
        self._sink = sink
        self._ami = ami
        self._short_abandon_s = short_abandon_s
        self._periodic = Periodic(self._pass, interval, "reconciler")
        self.rebuilt = 0
        self.adopted = 0
        self.rollup_repaired = 0        # cells the roll-up repair found wrong
        self._days_to_repair: set = set()

    async def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()

    async def on_connected(self) -> None:
        """After each AMI login: adopt live calls first (their events are flowing), then rebuild."""
        await self.adopt_live_calls()
        await self.rebuild_ended_calls()

    async def _pass(self) -> None:
        await self.repair_rollup()
        await self.rebuild_ended_calls()

    async def repair_rollup(self) -> int:
        """Recompute the roll-up of the days whose calls the last pass rebuilt."""
        pool, started = self._pool, self._days_to_repair
        if pool is None or not started:
            return 0
        try:
            wrong = await repair_days(pool, local_days(started, await rollup_zone(pool)))
        except DB_ERRORS as exc:
            log.warning("report roll-up not repaired: %s", exc or type(exc).__name__)
            return 0
        self._days_to_repair = set()
        self.rollup_repaired += wrong
        if wrong:
            log.warning("report roll-up: %d cells were wrong and were recomputed from the raw rows", wrong)
        return wrong

    async def rebuild_ended_calls(self) -> int:
        pool = self._pool
        if pool is None:
            return 0
        try:
            linkedids = await ended_unrecorded_calls(pool)
            if not linkedids:
                return 0
            cel, queue_log = await facts_of(pool, linkedids)
        except DB_ERRORS as exc:
            log.warning("reconcile skipped: %s", exc or type(exc).__name__)
            return 0
        records = rebuild(cel, queue_log, self._short_abandon_s)
        for record in records:
            self._tracker.calls.pop(record.linkedid, None)  # its end was missed live
            self._sink(record)
            self._days_to_repair.add(record.started_at)
        self.rebuilt += len(records)
        if records:
            log.info("rebuilt %d call records from Asterisk's CEL and queue_log", len(records))
        return len(records)

    async def adopt_live_calls(self) -> int:
        pool = self._pool
        if pool is None:
            return 0
        try:
            channels = await self._ami.collect("CoreShowChannels")
        except AmiError as exc:
            log.warning("live calls not adopted: %s", exc)
            return 0
        unknown = sorted({c.get("Linkedid", "") for c in channels} - set(self._tracker.calls) - {""})
        if not unknown:
            return 0
        try:
            cel, queue_log = await facts_of(pool, unknown)
        except DB_ERRORS as exc:
            log.warning("live calls not adopted: %s", exc or type(exc).__name__)
            return 0
        by_call: dict[str, list] = defaultdict(list)
        for event in events_from_facts(cel, queue_log):
            by_call[event["Linkedid"]].append(event)
        for events in by_call.values():
            for event in events:
                self._tracker.handle(event)
        self.adopted += len(by_call)
        log.info("adopted %d calls that were up before the controller connected", len(by_call))
        return len(by_call)
