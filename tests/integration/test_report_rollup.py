"""The per-day roll-up (migration 015) gives exactly what the raw query gives, for every figure,
after the writes that make roll-ups drift: wrap-ups days after their call, a wrap-up before its
call, records rewritten (reconciled, written twice, moved across local midnight), tickets changed,
agent states closed late or spanning midnight, rows deleted. The data set's figures are known
(tests/bench/dataset.py computes them in Python from the same rows, mutated alike)."""
from __future__ import annotations

import asyncio
import secrets
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import AsyncIterator
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import pytest_asyncio

from db.migrate import migrate
from db.report_rollup import repair_days
from db.reports import summary, uses_rollup
from tests.bench.dataset import CALL_COLUMNS, Dataset, expected_agents, expected_contacts, generate, load
from tests.bench.reports_year import bench_rollup

pytestmark = pytest.mark.integration

TZ = "Asia/Ho_Chi_Minh"
LOCAL = ZoneInfo(TZ)
UTC = timezone.utc
START = datetime(2021, 9, 1, tzinfo=LOCAL)
END = datetime(2021, 9, 4, tzinfo=LOCAL)
LATE = 20   # answered calls whose wrap-up arrives three days later

_UPSERT_CALL = """
INSERT INTO calls (linkedid, branch, queue, emergency, started_at, answered_at, ended_at, agent, wait_s, talk_s,
                   outcome)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (linkedid) DO UPDATE SET branch = EXCLUDED.branch, queue = EXCLUDED.queue, started_at = EXCLUDED.started_at,
    answered_at = EXCLUDED.answered_at, ended_at = EXCLUDED.ended_at, agent = EXCLUDED.agent,
    wait_s = EXCLUDED.wait_s, talk_s = EXCLUDED.talk_s, outcome = EXCLUDED.outcome, updated_at = now()"""
_UPSERT_WRAPUP = """
INSERT INTO wrapups (linkedid, ext, category, outcome, agency, submitted_by, submitted_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (linkedid) DO UPDATE SET outcome = EXCLUDED.outcome, agency = EXCLUDED.agency,
    submitted_at = EXCLUDED.submitted_at"""


def _replace(rows: list[tuple], index: int, **changes) -> tuple:
    """Change some columns of data.calls[index]; the new row."""
    row = list(rows[index])
    for name, value in changes.items():
        row[CALL_COLUMNS.index(name)] = value
    rows[index] = tuple(row)
    return rows[index]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mutated(pg_cluster) -> AsyncIterator[tuple[asyncpg.Pool, Dataset]]:
    """A loaded data set, then every kind of later write, applied to the database and to the data set alike."""
    data = generate(1500, START - timedelta(hours=6), END + timedelta(hours=6), seed=18)
    in_range = [i for i, c in enumerate(data.calls) if START <= c[4] < END]
    answered = {c[0] for c in (data.calls[i] for i in in_range) if c[10] == "answered"}
    late = [w for w in data.wrapups if w[0] in answered][:LATE]
    data.wrapups = [w for w in data.wrapups if w not in late]

    name = f"ivr1022_rollup_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    pool = await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=4)
    await migrate(pool)
    async with pool.acquire() as con:
        await load(con, data)
        # wrap-ups written days after their call
        for w in late:
            w = (*w[:6], w[6] + timedelta(days=3))
            await con.execute(_UPSERT_WRAPUP, *w)
            data.wrapups.append(w)
        # a wrap-up resubmitted: resolved -> forwarded to a named agency, and back for another
        resubmitted = [i for i, w in enumerate(data.wrapups) if w[3] == "resolved"][:10]
        for n, i in enumerate(resubmitted):
            w = data.wrapups[i]
            w = (*w[:3], "forwarded", f"Agency {n % 3}", *w[5:]) if n % 2 == 0 else (*w[:3], "answered", None, *w[5:])
            await con.execute(_UPSERT_WRAPUP, *w)
            data.wrapups[i] = w
        # reconciled calls: unfinished records completed; others rewritten with another outcome
        unfinished = [i for i in in_range if data.calls[i][10] is None][:8]
        for n, i in enumerate(unfinished):
            c = _replace(data.calls, i, outcome="abandoned_queue", ended_at=data.calls[i][4] + timedelta(seconds=9),
                         wait_s=Decimal("3.250") if n % 2 else Decimal("12.000"), branch=2, queue="cdc")
            await con.execute(_UPSERT_CALL, *c)
        # a record written twice, unchanged
        for i in in_range[:30]:
            await con.execute(_UPSERT_CALL, *data.calls[i])
        # a record moved across local midnight (the reconciler's start time is the true one)
        moved = next(i for i in in_range if data.calls[i][4].astimezone(LOCAL).date() == date(2021, 9, 2))
        midnight = datetime(2021, 9, 3, tzinfo=LOCAL)
        for i, at in ((moved, midnight - timedelta(microseconds=1)), (in_range[-1], midnight)):
            c = data.calls[i]
            shift = at - c[4]
            c = _replace(data.calls, i, started_at=at, answered_at=c[5] and c[5] + shift, ended_at=c[6] and c[6] + shift)
            await con.execute(_UPSERT_CALL, *c)
        # a wrap-up (and its wrap_up state) stored before its call
        call = ("late-call", 3, "doctors", False, datetime(2021, 9, 1, 23, 59, 59, 999000, tzinfo=LOCAL),
                datetime(2021, 9, 2, 0, 0, 5, tzinfo=LOCAL), datetime(2021, 9, 2, 0, 3, tzinfo=LOCAL), "1001",
                Decimal("5.001"), Decimal("175.000"), "answered")
        wrap = ("late-call", "1001", "health", "forwarded", "Sở Y tế", "1001", call[6] + timedelta(days=2))
        state = ("1001", "wrap_up", None, "late-call", call[6], call[6] + timedelta(seconds=42))
        await con.execute(_UPSERT_WRAPUP, *wrap)
        await con.execute("INSERT INTO agent_states (ext, state, reason, linkedid, started_at, ended_at)"
                          " VALUES ($1, $2, $3, $4, $5, $6)", *state)
        await con.execute(_UPSERT_CALL, *call)
        data.calls.append(call)
        data.wrapups.append(wrap)
        data.states.append(state)
        # wrap-up states closed later than first written (the call's wrap time grows)
        closed = [i for i, s in enumerate(data.states) if s[1] == "wrap_up" and s[5] is not None
                  and START <= s[4] < END][:10]
        for i in closed:
            s = data.states[i]
            ended = s[5] + timedelta(seconds=7)
            await con.execute("UPDATE agent_states SET ended_at = $1 WHERE linkedid = $2 AND state = 'wrap_up'"
                              " AND started_at = $3", ended, s[3], s[4])
            data.states[i] = (*s[:5], ended)
        # a pause across local midnight, for an agent of its own
        pause = ("2001", "paused", "lunch", None, datetime(2021, 9, 2, 22, tzinfo=LOCAL),
                 datetime(2021, 9, 3, 1, 30, 0, 123456, tzinfo=LOCAL))
        await con.execute("INSERT INTO agent_states (ext, state, reason, linkedid, started_at, ended_at)"
                          " VALUES ($1, $2, $3, $4, $5, $6)", *pause)
        data.states.append(pause)
        # tickets without a call: closed later, moved across midnight, attached to a call
        ids = await con.fetch("SELECT id, created_at FROM tickets WHERE linkedid IS NULL ORDER BY id LIMIT 3")
        index = {t[6]: i for i, t in enumerate(data.tickets)}
        for n, row in enumerate(ids):
            i = index[row["created_at"]]
            t = data.tickets[i]
            if n == 0:
                t = (t[0], t[1], t[2], "closed", t[4], t[5], t[6])
                await con.execute("UPDATE tickets SET status = 'closed' WHERE id = $1", row["id"])
            elif n == 1:
                t = (*t[:6], midnight)
                await con.execute("UPDATE tickets SET created_at = $2 WHERE id = $1", row["id"], midnight)
            else:
                t = (f"ticket-call-{n}", *t[1:])
                await con.execute("UPDATE tickets SET linkedid = $2 WHERE id = $1", row["id"], t[0])
            data.tickets[i] = t
        # a call deleted (its wrap-up stays: a wrap-up without a call counts nowhere)
        gone = in_range[5]
        await con.execute("DELETE FROM calls WHERE linkedid = $1", data.calls[gone][0])
        del data.calls[gone]
    try:
        yield pool, data
    finally:
        await pool.close()


RANGES = [(START, END), (START, START + timedelta(days=1)), (START + timedelta(days=1), END),
          (END - timedelta(days=1), END), (START - timedelta(days=2), END + timedelta(days=2))]


@pytest.mark.parametrize("bounds", RANGES, ids=lambda b: f"{b[0]:%m-%d}..{b[1]:%m-%d}")
async def test_rollup_equals_raw_for_every_figure(mutated, bounds):
    pool, _ = mutated
    start, end = bounds
    async with pool.acquire() as con:
        assert await uses_rollup(con, start=start, end=end, tz=TZ, thresholds=(Decimal(5), Decimal(20)))
    rolled = await summary(pool, start=start, end=end, tz=TZ)
    raw = await summary(pool, start=start, end=end, tz=TZ, rollup=False)
    for section in raw:
        assert rolled[section] == raw[section], section


async def test_rollup_gives_the_known_answers(mutated):
    pool, data = mutated
    report = await summary(pool, start=START, end=END, tz=TZ)
    expected = expected_contacts(data, START, END, TZ)
    for section in ("totals", "by_day", "by_branch", "by_day_branch"):
        assert report[section] == expected[section], section
    agents = expected_agents(data, START, END, now=datetime.now(UTC))
    assert report["agents"] == agents["agents"]
    assert report["agents_total"] == agents["agents_total"]
    assert report["pauses"] == agents["pauses"]
    assert any(a["ext"] == "2001" for a in report["agents"])
    assert report["totals"]["received"] >= 1000


async def test_requests_the_rollup_cannot_answer_run_raw(mutated):
    pool, data = mutated
    async with pool.acquire() as con:
        default = (Decimal(5), Decimal(20))
        assert not await uses_rollup(con, start=START, end=END, tz="UTC", thresholds=default)
        assert not await uses_rollup(con, start=START, end=END, tz=TZ, thresholds=(Decimal(2), Decimal(20)))
        assert not await uses_rollup(con, start=START, end=END, tz=TZ, thresholds=(Decimal(5), Decimal("20.5")))
        assert not await uses_rollup(con, start=START + timedelta(hours=1), end=END, tz=TZ, thresholds=default)
    got = await summary(pool, start=START, end=END, tz=TZ, short_abandon_s=2, service_level_s=10)
    want = expected_contacts(data, START, END, TZ, short_abandon_s=2, service_level_s=10)
    assert got["totals"] == want["totals"]


async def test_repair_finds_nothing_wrong_then_fixes_a_corrupted_cell(mutated):
    pool, _ = mutated
    days = [date(2021, 8, 31) + timedelta(days=n) for n in range(6)]
    assert await repair_days(pool, days) == 0
    raw = await summary(pool, start=START, end=END, tz=TZ, rollup=False)
    await pool.execute("UPDATE report_contact_days SET received = received + 1"
                       " WHERE day = '2021-09-02' AND branch = 2 AND NOT is_forwarded")
    await pool.execute("DELETE FROM report_agent_days WHERE day = '2021-09-03' AND ext = '2001'")
    assert await summary(pool, start=START, end=END, tz=TZ) != raw
    assert await repair_days(pool, days) == 2
    assert await summary(pool, start=START, end=END, tz=TZ) == raw


async def test_a_call_and_its_wrapup_committed_at_once_are_both_counted(mutated):
    """The call's writer and the wrap-up's writer in concurrent transactions: the second waits for
    the first's lock and reads its row, whichever comes first."""
    pool, _ = mutated
    before = (await summary(pool, start=START, end=END, tz=TZ))["totals"]
    at = datetime(2021, 9, 3, 12, tzinfo=LOCAL)
    for n, call_first in enumerate((True, False)):
        linkedid = f"race-{n}"
        call = (linkedid, 4, "violations", False, at, at + timedelta(seconds=8), at + timedelta(seconds=60), "1002",
                Decimal("8.000"), Decimal("52.000"), "answered")
        wrap = (linkedid, "1002", "noise", "resolved", None, "1002", at + timedelta(seconds=90))
        async with pool.acquire() as first, pool.acquire() as second:
            t1, t2 = first.transaction(), second.transaction()
            await t1.start()
            await t2.start()
            await (first.execute(_UPSERT_CALL, *call) if call_first else first.execute(_UPSERT_WRAPUP, *wrap))
            waiting = asyncio.create_task(second.execute(_UPSERT_WRAPUP, *wrap) if call_first
                                          else second.execute(_UPSERT_CALL, *call))
            await asyncio.sleep(0.2)
            assert not waiting.done()       # queued behind the first writer's lock
            await t1.commit()
            await waiting
            await t2.commit()
    after = await summary(pool, start=START, end=END, tz=TZ)
    assert after["totals"]["resolved"] == before["resolved"] + 2
    assert after == await summary(pool, start=START, end=END, tz=TZ, rollup=False)


async def test_the_year_bench_runs_small_and_its_figures_agree(pg_cluster):
    name = f"ivr1022_rollup_bench_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    figures = await bench_rollup(pg_cluster.dsn(name), calls=5000)
    assert figures["calls"] == 5000 and figures["report_contact_days"] > 365
    assert figures["year_rollup_equals_raw"] and figures["month_rollup_equals_raw"]
    assert figures["year_received"] == 5000 + 250 and 0 < figures["month_received"] < figures["year_received"]
    # The intraday piece: the busiest day, timed per hour and per 15 minutes.
    day = figures["intraday"]
    assert day["received"] > 0 and day["slot_60"]["runs"] == day["slot_15"]["runs"] == 5
    assert 0 < day["slot_15"]["median_s"] <= day["slot_15"]["max_s"]
