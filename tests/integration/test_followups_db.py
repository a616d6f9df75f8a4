"""The worklist's rules in PostgreSQL (migration 018, db/followups.py), on a database of its own.

The trigger on calls opens one item per number (a second abandon adds to it; a short abandon opens
nothing), an answered call after the abandon closes it; callback requests in state to_worklist join
the worklist, and a request that reached the citizen (connected) closes his item. The callback table
is the keep-place callback's (issue 13's other half): this test gives it the agreed shape in a schema
of its own that comes first on the search path, so it holds whether or not that migration is there.
The reports count items created and reached.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from db.followups import followup_report, list_followups, record_outcome, start_attempt, worklist_size
from db.migrate import migrate

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
CALLBACKS = """
CREATE SCHEMA cbtest;
CREATE TABLE cbtest.callback_requests (
    id bigserial PRIMARY KEY, number text NOT NULL, branch smallint, language text, state text NOT NULL,
    requested_at timestamptz NOT NULL, attempts integer NOT NULL DEFAULT 0, original_linkedid text)
"""


@pytest.fixture
async def pool(pg_cluster):
    name = f"ivr1022_followups_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    url = pg_cluster.dsn(name)
    con = await asyncpg.connect(url)
    try:
        await migrate(con)
        await con.execute(CALLBACKS)
    finally:
        await con.close()
    pool = await asyncpg.create_pool(url, min_size=1, max_size=3, server_settings={"search_path": "cbtest, public"})
    try:
        yield pool
    finally:
        await pool.close()


async def call(pool, linkedid: str, number: str, outcome: str, at: datetime, wait_s: float = 30) -> None:
    """A call record as the controller's writer leaves it: inserted, then its outcome set."""
    await pool.execute("INSERT INTO calls (linkedid, caller_number, branch, queue, language, started_at, wait_s)"
                       " VALUES ($1, $2, 3, 'doctors', 'en', $3, $4)", linkedid, number, at, wait_s)
    await pool.execute("UPDATE calls SET outcome = $2::text, ended_at = $3::timestamptz, answered_at = CASE WHEN"
                       " $2::text = 'answered' THEN $3::timestamptz END WHERE linkedid = $1",
                       linkedid, outcome, at + timedelta(seconds=wait_s))


async def items(pool, state: str = "open") -> dict[str, dict]:
    return {f["number"]: f for f in await list_followups(pool, state=state)}


async def test_abandons_open_items_and_an_answered_call_closes_them(pool):
    await call(pool, "a1", "0911000001", "abandoned_queue", T0, wait_s=40)
    await call(pool, "a2", "0911000001", "abandoned_queue", T0 + timedelta(minutes=5), wait_s=25)
    await call(pool, "s1", "0911000002", "short_abandon", T0, wait_s=2)
    await call(pool, "b1", "0911000003", "abandoned_queue", T0 + timedelta(minutes=1))
    # The writer upserts the same record again (a retry): nothing counted twice.
    await pool.execute("UPDATE calls SET outcome = 'abandoned_queue' WHERE linkedid = 'a2'")
    found = await items(pool)
    assert set(found) == {"0911000001", "0911000003"}
    first = found["0911000001"]
    assert (first["abandons"], first["linkedid"], first["wait_s"], first["branch"], first["language"]) == (
        2, "a1", 25.0, 3, "en")
    assert first["abandoned_at"] == T0.isoformat()
    assert await worklist_size(pool) == {"open": 2, "oldest_at": T0.isoformat()}
    # An answered call before the latest abandon closes nothing; one after it closes the item.
    await call(pool, "x0", "0911000001", "answered", T0 + timedelta(minutes=2))
    assert "0911000001" in await items(pool)
    await call(pool, "x1", "0911000001", "answered", T0 + timedelta(minutes=9))
    closed = (await items(pool, "closed"))["0911000001"]
    assert (closed["closed_reason"], closed["closed_by"]) == ("answered_again", "x1")
    assert set(await items(pool)) == {"0911000003"}
    # The same number abandoning later opens a new item.
    await call(pool, "a3", "0911000001", "abandoned_queue", T0 + timedelta(minutes=20))
    assert (await items(pool))["0911000001"]["linkedid"] == "a3"


async def test_callback_requests_join_and_leave_the_worklist(pool):
    await pool.execute(
        "INSERT INTO callback_requests (number, branch, language, state, requested_at, attempts, original_linkedid)"
        " VALUES ('0922000001', 2, 'vi', 'to_worklist', $1, 3, 'c1'), ('0922000002', 2, 'vi', 'waiting', $1, 0, 'c2'),"
        "        ('0922000003', 4, 'en', 'to_worklist', $1, 2, 'c3')", T0)
    await call(pool, "a9", "0922000003", "abandoned_queue", T0 - timedelta(minutes=1))
    found = await items(pool)
    assert set(found) == {"0922000001", "0922000003"}
    assert (found["0922000001"]["attempts"], found["0922000001"]["callback_request_id"],
            found["0922000001"]["linkedid"]) == (3, 1, "c1")
    # The number already on the worklist keeps its one item, linked to the request, with its attempts.
    assert (found["0922000003"]["linkedid"], found["0922000003"]["attempts"],
            found["0922000003"]["callback_request_id"]) == ("a9", 2, 3)
    await items(pool)                                   # a second look imports nothing twice
    assert await pool.fetchval("SELECT count(*) FROM followups") == 2
    # A callback that reached the citizen closes his item.
    await pool.execute("INSERT INTO callback_requests (number, branch, state, requested_at)"
                       " VALUES ('0922000003', 4, 'connected', $1)", T0 + timedelta(minutes=3))
    assert set(await items(pool)) == {"0922000001"}
    assert (await items(pool, "closed"))["0922000003"]["closed_reason"] == "callback_reached"


async def test_attempts_outcomes_and_the_report(pool):
    await call(pool, "r1", "0933000001", "abandoned_queue", T0)
    item = (await items(pool))["0933000001"]
    async with pool.acquire() as con, con.transaction():
        await start_attempt(con, item["id"], "1007")
        updated = await record_outcome(con, item["id"], "no_answer", "1007", any_agent=False)
    assert (updated["state"], updated["attempts"], updated["last_outcome"]) == ("open", 1, "no_answer")
    async with pool.acquire() as con, con.transaction():
        await start_attempt(con, item["id"], "1008")
        updated = await record_outcome(con, item["id"], "reached", "2001", any_agent=True)
    assert (updated["state"], updated["closed_reason"], updated["attempts"]) == ("closed", "reached", 2)
    await call(pool, "r2", "0933000002", "abandoned_queue", T0 + timedelta(hours=1))
    report = await followup_report(pool, T0 - timedelta(hours=1), T0 + timedelta(days=1))
    assert (report["created"], report["closed_by_themselves"]) == (2, 0)
    assert report["reached"] == 0       # reached now (outcome_at is now), outside November 30
    report = await followup_report(pool, T0, datetime.now(timezone.utc) + timedelta(minutes=1))
    assert (report["created"], report["reached"]) == (2, 1)
