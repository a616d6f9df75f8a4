"""The raw-fact loader (ivr/calls/raw_load.py) against a real PostgreSQL, on files written as Asterisk 22
writes them: only new lines are read, a second load adds nothing, a rotated file is read again from its
start without doubling a row, and a queue_log line whose realtime twin is in the table is skipped."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

import asyncpg
import pytest
import pytest_asyncio

from db.migrate import migrate
from ivr.calls.raw_load import RawFactLoader, raw_files
from tests.unit.test_raw_files import CEL_LINE, QUEUE_LINE

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture(loop_scope="session")
async def own_pool(pg_cluster):
    """A database of its own: these made-up facts must not reach another test's reconciler."""
    name = f"ivr1022_rawload_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    pool = await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=2)
    await migrate(pool)
    try:
        yield pool
    finally:
        await pool.close()


def cel_line(eventtype: str, micro: int) -> str:
    return CEL_LINE.replace('"HANGUP","1796168812.961471"', f'"{eventtype}","1796168812.{micro:06d}"')


async def counts(pool) -> tuple[int, int]:
    return await pool.fetchval("SELECT count(*) FROM cel"), await pool.fetchval("SELECT count(*) FROM queue_log")


async def test_loading_reads_only_new_lines_and_twice_adds_nothing(own_pool, tmp_path):
    files = raw_files(tmp_path)
    files["cel"].parent.mkdir()
    files["cel"].write_text(cel_line("HANGUP", 1) + "\n" + cel_line("CHAN_END", 1) + "\n")
    files["queue_log"].write_text(QUEUE_LINE + "\n")
    runs = []

    async def after_load():
        runs.append(1)

    loader = RawFactLoader(own_pool, tmp_path, after_load=after_load)
    assert await loader.load() == 3 and runs == [1]
    assert await counts(own_pool) == (2, 1)
    assert await loader.load() == 0 and runs == [1]          # nothing new: the reconciler is not run again
    row = await own_pool.fetchrow("SELECT * FROM cel WHERE eventtype = 'HANGUP'")
    assert row["eventtime"] == datetime(2026, 12, 1, 23, 46, 52, 1, tzinfo=timezone.utc)
    assert (row["amaflags"], row["linkedid"]) == (3, "1796168809.0")

    with files["cel"].open("a") as f:                         # Asterisk goes on writing
        f.write(cel_line("LINKEDID_END", 2) + "\n" + cel_line("HANGUP", 3)[:40])
    assert await loader.load() == 1 and await counts(own_pool) == (3, 1)

    files["cel"].write_text(cel_line("HANGUP", 1) + "\n")     # rotated (copytruncate): read from the start
    assert await loader.load() == 0 and await counts(own_pool) == (3, 1)
    assert await loader.load_from_start() == 0 and await counts(own_pool) == (3, 1)
    assert loader.loaded == {"cel": 3, "queue_log": 1}


async def test_a_queue_log_line_that_realtime_wrote_too_is_not_added_again(own_pool, tmp_path):
    realtime = datetime.fromtimestamp(1796168811, tz=timezone.utc).replace(microsecond=945839)
    await own_pool.execute("INSERT INTO queue_log (time, callid, queuename, agent, event, data1, data2, data3)"
                           " VALUES ($1, '1796168809.0', 'cdc', '1001', 'CONNECT', '0', '1796168811.2', '0')",
                           realtime)
    files = raw_files(tmp_path)
    files["queue_log"].write_text(QUEUE_LINE + "\n" + QUEUE_LINE.replace("CONNECT", "COMPLETEAGENT") + "\n")

    async def after_load():
        pass

    assert await RawFactLoader(own_pool, tmp_path, after_load=after_load).load() == 1
    events = await own_pool.fetch("SELECT event FROM queue_log ORDER BY event")
    assert [r["event"] for r in events] == ["COMPLETEAGENT", "CONNECT"]


async def test_while_postgresql_is_away_a_load_waits_for_the_next_pass(tmp_path, make_pg_cluster):
    cluster = await make_pg_cluster()
    await cluster.create_database("rawload")
    pool = await asyncpg.create_pool(cluster.dsn("rawload"), min_size=0, max_size=1, timeout=2)
    try:
        await migrate(pool)
        files = raw_files(tmp_path)
        files["queue_log"].write_text(QUEUE_LINE + "\n")
        runs = []

        async def after_load():
            runs.append(1)

        loader = RawFactLoader(pool, tmp_path, after_load=after_load)
        await cluster.stop()
        assert await loader.load() == 0 and runs == []         # no error escapes: the next pass retries
        await cluster.start()
        assert await loader.load() == 1 and runs == [1]
    finally:
        await pool.close()
