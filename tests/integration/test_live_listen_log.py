"""The live listening audit log with what became of each listen (migrations 010 and 012), on a real
PostgreSQL: the controller's writer fed literal AMI events, idempotent retries, and the admins' page."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from db.live_listen import ListenOutcome, list_listens, record_listen, write_listen_outcomes
from ivr.acd.store import ListenOutcomeWriter

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


async def new_listen(pool: asyncpg.Pool, agent: str = "1001", listener: str = "2001") -> int:
    return await record_listen(pool, agent_ext=agent, listener_ext=listener, listener_role="supervisor",
                               linkedid="1790000000.1", remote_addr="127.0.0.1")


async def row_of(pool: asyncpg.Pool, listen_id: int) -> dict:
    return next(r for r in await list_listens(pool, limit=1, before_id=listen_id + 1) if r["id"] == listen_id)


async def test_the_writer_turns_asterisks_events_into_the_listens_outcome(db_pool):
    heard, unanswered, ringing = [await new_listen(db_pool) for _ in range(3)]
    writer = ListenOutcomeWriter(db_pool)
    await writer.start()
    try:
        for event in (
            {"Event": "OriginateResponse", "Response": "Success", "Reason": "4",
             "Uniqueid": f"listen-2001-1001-{heard}", "Timestamp": f"{T0.timestamp() + 2:.6f}"},
            {"Event": "Hangup", "Uniqueid": f"listen-2001-1001-{heard}", "Timestamp": f"{T0.timestamp() + 40:.6f}"},
            {"Event": "Hangup", "Uniqueid": f"listen-2001-1001-{unanswered}",
             "Timestamp": f"{T0.timestamp() + 30:.6f}"},
            {"Event": "OriginateResponse", "Response": "Failure", "Reason": "3",
             "Uniqueid": f"listen-2001-1001-{unanswered}", "Timestamp": f"{T0.timestamp() + 30.1:.6f}"},
            {"Event": "Hangup", "Uniqueid": "1790000000.1", "Linkedid": "1790000000.1"},   # a citizen's call
        ):
            writer.on_listen_event(event)
        await writer.drained(5)
    finally:
        await writer.stop()
    assert writer.healthy
    row = await row_of(db_pool, heard)
    assert (row["result"], row["answered_at"], row["ended_at"]) == (
        "answered", (T0 + timedelta(seconds=2)).isoformat(), (T0 + timedelta(seconds=40)).isoformat())
    row = await row_of(db_pool, unanswered)
    assert (row["result"], row["answered_at"], row["ended_at"]) == (
        "no_answer", None, (T0 + timedelta(seconds=30)).isoformat())
    row = await row_of(db_pool, ringing)
    assert (row["result"], row["answered_at"], row["ended_at"]) == (None, None, None)


async def test_a_retried_batch_and_an_outcome_before_its_audit_row_change_nothing_else(db_pool):
    listen_id = await new_listen(db_pool)
    answered = ListenOutcome(listen_id, "answered", T0)
    async with db_pool.acquire() as con:
        await write_listen_outcomes(con, [answered])
        await write_listen_outcomes(con, [answered, ListenOutcome(listen_id, "ended", T0 + timedelta(seconds=9))])
        assert await con.fetchval("SELECT count(*) FROM live_listen_outcomes WHERE listen_id = $1", listen_id) == 2
        # The console's transaction may commit after Asterisk answered: the outcome is kept meanwhile.
        early = listen_id + 1_000_000
        await write_listen_outcomes(con, [ListenOutcome(early, "failed", T0)])
        assert await con.fetchval("SELECT result FROM live_listen_outcomes WHERE listen_id = $1", early) == "failed"
        with pytest.raises(asyncpg.CheckViolationError):
            await write_listen_outcomes(con, [ListenOutcome(listen_id, "<script>", T0)])
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await con.execute("DELETE FROM live_listen_outcomes WHERE listen_id = $1", listen_id)
