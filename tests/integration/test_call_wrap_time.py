"""calls.wrap_us (migration 009): the database keeps each call's wrap-up time exact, whichever of
the call record and the agent's state rows is written first, and when both commit at once."""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from db.agent_states import StateChange, write_state_changes
from db.calls import upsert_calls
from db.records import CallRecord

pytestmark = pytest.mark.integration

T0 = datetime(2021, 8, 19, 8, 0, tzinfo=timezone.utc)


def call(lid: str) -> CallRecord:
    return CallRecord(linkedid=lid, started_at=T0, answered_at=T0 + timedelta(seconds=10),
                      ended_at=T0 + timedelta(seconds=70), agent="1001", wait_s=10, talk_s=60,
                      outcome="answered", branch=2, queue="cdc")


def wrap_up(ext: str, lid: str, seconds: float, then: str = "ready") -> list[StateChange]:
    """The agent's wrap-up of `lid` from the call's end, `seconds` long, then `then`."""
    began = T0 + timedelta(seconds=70)
    return [StateChange(ext, "wrap_up", None, lid, began),
            StateChange(ext, then, None, None, began + timedelta(seconds=seconds))]


def ext_for_test() -> str:
    return f"9{uuid.uuid4().int % 1000:03d}"


async def wrap_us(pool, lid: str) -> int:
    return await pool.fetchval("SELECT wrap_us FROM calls WHERE linkedid = $1", lid)


async def write_states(pool, changes: list[StateChange]) -> None:
    async with pool.acquire() as con:
        await write_state_changes(con, changes)


async def write_call(pool, lid: str) -> None:
    async with pool.acquire() as con:
        await upsert_calls(con, [call(lid)])


async def test_wrap_up_after_the_call_record(db_pool):
    lid = f"wrap-{uuid.uuid4().hex[:10]}"
    await write_call(db_pool, lid)
    assert await wrap_us(db_pool, lid) == 0
    await write_states(db_pool, wrap_up(ext_for_test(), lid, 12.345678))
    assert await wrap_us(db_pool, lid) == 12_345_678


async def test_wrap_up_written_before_the_call_record(db_pool):
    lid = f"wrap-{uuid.uuid4().hex[:10]}"
    await write_states(db_pool, wrap_up(ext_for_test(), lid, 7.5))
    await write_call(db_pool, lid)
    assert await wrap_us(db_pool, lid) == 7_500_000
    await write_call(db_pool, lid)   # a later snapshot of the same call keeps it
    assert await wrap_us(db_pool, lid) == 7_500_000


async def test_open_wrap_up_counts_nothing_until_it_closes(db_pool):
    lid, ext = f"wrap-{uuid.uuid4().hex[:10]}", ext_for_test()
    await write_call(db_pool, lid)
    began = T0 + timedelta(seconds=70)
    await write_states(db_pool, [StateChange(ext, "wrap_up", None, lid, began)])
    assert await wrap_us(db_pool, lid) == 0
    await write_states(db_pool, [StateChange(ext, "paused", "break", None, began + timedelta(seconds=3))])
    assert await wrap_us(db_pool, lid) == 3_000_000


async def test_two_wrap_ups_of_one_call_add_up_and_a_correction_replaces(db_pool):
    lid = f"wrap-{uuid.uuid4().hex[:10]}"
    await write_call(db_pool, lid)
    await write_states(db_pool, wrap_up(ext_for_test(), lid, 2))
    await write_states(db_pool, wrap_up(ext_for_test(), lid, 3))
    assert await wrap_us(db_pool, lid) == 5_000_000
    # an operator's correction of a closed row moves the total by the difference; a deleted row leaves it
    row = await db_pool.fetchval("SELECT id FROM agent_states WHERE linkedid = $1 ORDER BY id LIMIT 1", lid)
    await db_pool.execute("UPDATE agent_states SET ended_at = started_at + interval '4 s' WHERE id = $1", row)
    assert await wrap_us(db_pool, lid) == 7_000_000
    await db_pool.execute("DELETE FROM agent_states WHERE id = $1", row)
    assert await wrap_us(db_pool, lid) == 3_000_000


async def test_other_states_leave_wrap_time_alone(db_pool):
    lid, ext = f"wrap-{uuid.uuid4().hex[:10]}", ext_for_test()
    await write_call(db_pool, lid)
    await write_states(db_pool, [StateChange(ext, "on_call", None, lid, T0 + timedelta(seconds=10)),
                                 StateChange(ext, "ready", None, None, T0 + timedelta(seconds=70))])
    assert await wrap_us(db_pool, lid) == 0


async def test_call_and_wrap_up_committing_together_both_count(db_pool):
    """The record writer and the state writer flush on their own connections: open a transaction
    on each, write, and commit them in both orders; no wrap-up time may be missed."""
    for first in ("call", "state"):
        lid = f"wrap-{uuid.uuid4().hex[:10]}"
        async with db_pool.acquire() as call_con, db_pool.acquire() as state_con:
            call_tx, state_tx = call_con.transaction(), state_con.transaction()
            await call_tx.start()
            await state_tx.start()
            writes = {"call": lambda: upsert_calls(call_con, [call(lid)]),
                      "state": lambda: write_state_changes(state_con, wrap_up(ext_for_test(), lid, 1.25))}
            commits = {"call": call_tx.commit, "state": state_tx.commit}
            second = "state" if first == "call" else "call"
            await writes[first]()
            pending = asyncio.ensure_future(writes[second]())   # waits for the first one's lock
            await asyncio.sleep(0.2)        # a window in which the second must NOT get through
            assert not pending.done()
            await commits[first]()
            await pending
            await commits[second]()
        assert await wrap_us(db_pool, lid) == 1_250_000, first

