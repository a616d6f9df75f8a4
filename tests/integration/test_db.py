"""db/: migrations, call upserts and queries, demo data, and the private cluster, on a real PostgreSQL."""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from db.agents import get_agent, get_login, list_agents, list_sip_credentials, verify_password
from db.calls import get_call, list_calls, upsert_calls
from db.demo import load_demo_data, read_demo_data
from db.migrate import load_migrations, migrate
from db.records import CallRecord, IvrStep

pytestmark = pytest.mark.integration

T0 = datetime(2021, 8, 19, 8, 0, tzinfo=timezone.utc)
ALL_MIGRATIONS = [m.name for m in load_migrations()]


def linkedid() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def full_record(lid: str, **changes) -> CallRecord:
    values = dict(
        linkedid=lid, started_at=T0, caller_number="0912345678", caller_name="Nguyễn Văn A",
        language="vi", branch=2, queue="cdc", answered_at=T0 + timedelta(seconds=40),
        ended_at=T0 + timedelta(seconds=200), agent="1001", wait_s=38.5, talk_s=160.25,
        ring_attempts=1, hangup_by="caller", outcome="answered",
        ivr_path=[IvrStep(T0 + timedelta(seconds=3), "language", "vi"),
                  IvrStep(T0 + timedelta(seconds=9), "key", "2"),
                  IvrStep(T0 + timedelta(seconds=9), "branch", "2")],
    )
    values.update(changes)
    return CallRecord(**values)


async def fresh_database(cluster) -> str:
    name = f"t_{uuid.uuid4().hex[:10]}"
    await cluster.create_database(name)
    return cluster.dsn(name)


# -- migrations ---------------------------------------------------------------------------

async def test_migrate_applies_all_then_nothing(pg_cluster):
    con = await asyncpg.connect(await fresh_database(pg_cluster))
    try:
        assert await migrate(con) == ALL_MIGRATIONS
        assert await migrate(con) == []
        versions = await con.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
        assert [r["name"] for r in versions] == ALL_MIGRATIONS
    finally:
        await con.close()


async def test_migrate_on_the_session_database_is_a_noop(db_pool):
    assert await migrate(db_pool) == []


async def test_concurrent_migrate_applies_each_file_once(pg_cluster):
    url = await fresh_database(pg_cluster)
    cons = [await asyncpg.connect(url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(con) for con in cons))
        applied = [name for result in results for name in result]
        assert sorted(applied) == sorted(ALL_MIGRATIONS)
        assert await cons[0].fetchval("SELECT count(*) FROM schema_migrations") == len(ALL_MIGRATIONS)
    finally:
        for con in cons:
            await con.close()


async def test_cel_table_has_the_columns_cel_pgsql_fills(db_pool):
    rows = await db_pool.fetch(
        """SELECT column_name FROM information_schema.columns
           WHERE table_name = 'cel' ORDER BY ordinal_position""")
    assert [r["column_name"] for r in rows] == [
        "id", "eventtype", "eventtime", "userdeftype", "cid_name", "cid_num", "cid_ani", "cid_rdnis",
        "cid_dnid", "exten", "context", "channame", "appname", "appdata", "amaflags", "accountcode",
        "peeraccount", "uniqueid", "linkedid", "userfield", "peer", "extra"]
    # The statement shape cel_pgsql sends: every column, DEFAULT where it has no value,
    # the time as a string, integers unquoted.
    lid = linkedid()
    await db_pool.execute(
        f"""INSERT INTO cel ("id","eventtype","eventtime","userdeftype","cid_name","cid_num","cid_ani",
            "cid_rdnis","cid_dnid","exten","context","channame","appname","appdata","amaflags",
            "accountcode","peeraccount","uniqueid","linkedid","userfield","peer","extra")
            VALUES (DEFAULT,'IvrStep','2021-08-19 08:00:03.123456','IvrStep','Nguyễn','0912','0912',
            '','1022','1022','ivr-menu','PJSIP/trunk-00000001','','',3,'','','1629360000.1',
            '{lid}','','','{{"kind":"key","value":"2"}}')""")
    row = await db_pool.fetchrow("SELECT eventtime, amaflags, extra FROM cel WHERE linkedid = $1", lid)
    assert row["eventtime"] == datetime(2021, 8, 19, 8, 0, 3, 123456, tzinfo=timezone.utc)
    assert row["amaflags"] == 3 and row["extra"] == '{"kind":"key","value":"2"}'


async def test_queue_log_accepts_both_realtime_shapes(db_pool):
    lid = linkedid()
    await db_pool.execute(
        """INSERT INTO queue_log (time, callid, queuename, agent, event, data1, data2, data3)
           VALUES ('2021-08-19 08:00:10.000000', $1, 'cdc', 'PJSIP/1001', 'CONNECT', '12', $1, '3')""", lid)
    await db_pool.execute(
        """INSERT INTO queue_log (time, callid, queuename, agent, event, data)
           VALUES ('2021-08-19 08:03:10.000000', $1, 'cdc', 'PJSIP/1001', 'COMPLETECALLER', '12|180|1')""", lid)
    rows = await db_pool.fetch("SELECT event, data, data1 FROM queue_log WHERE callid = $1 ORDER BY id", lid)
    assert [(r["event"], r["data"], r["data1"]) for r in rows] == [
        ("CONNECT", "", "12"), ("COMPLETECALLER", "12|180|1", "")]


# -- calls --------------------------------------------------------------------------------

async def test_same_record_twice_gives_one_row(db_pool):
    lid = linkedid()
    record = full_record(lid)
    async with db_pool.acquire() as con:
        await upsert_calls(con, [record])
        await upsert_calls(con, [record, record])
    assert await db_pool.fetchval("SELECT count(*) FROM calls WHERE linkedid = $1", lid) == 1
    assert await db_pool.fetchval("SELECT count(*) FROM call_steps WHERE linkedid = $1", lid) == 3
    call = await get_call(db_pool, lid)
    assert call is not None
    assert call["outcome"] == "answered" and call["complete"] is True
    assert call["wait_s"] == 38.5 and call["talk_s"] == 160.25
    assert call["started_at"] == "2021-08-19T08:00:00+00:00"
    assert [(s["seq"], s["kind"], s["value"]) for s in call["ivr_path"]] == [
        (0, "language", "vi"), (1, "key", "2"), (2, "branch", "2")]


async def test_later_partial_record_does_not_erase_known_fields(db_pool):
    lid = linkedid()
    async with db_pool.acquire() as con:
        await upsert_calls(con, [full_record(lid, emergency=True, ring_attempts=2)])
        partial = CallRecord(linkedid=lid, started_at=T0 + timedelta(seconds=5),
                             ivr_path=[IvrStep(T0, "language", "en")])
        await upsert_calls(con, [partial])
    call = await get_call(db_pool, lid)
    assert call["caller_number"] == "0912345678" and call["caller_name"] == "Nguyễn Văn A"
    assert call["agent"] == "1001" and call["outcome"] == "answered" and call["queue"] == "cdc"
    assert call["emergency"] is True and call["ring_attempts"] == 2
    assert call["started_at"] == "2021-08-19T08:00:00+00:00"  # the earliest start is kept
    # Step 0 replaced by the newer record, steps 1 and 2 kept.
    assert [(s["seq"], s["value"]) for s in call["ivr_path"]] == [(0, "en"), (1, "2"), (2, "2")]


async def test_a_call_grows_from_start_to_end(db_pool):
    lid = linkedid()
    async with db_pool.acquire() as con:
        await upsert_calls(con, [CallRecord(linkedid=lid, started_at=T0, caller_number="0988")])
        assert (await get_call(db_pool, lid))["complete"] is False
        await upsert_calls(con, [CallRecord(linkedid=lid, started_at=T0, ended_at=T0 + timedelta(seconds=7),
                                            outcome="abandoned_ivr", hangup_by="caller")])
    call = await get_call(db_pool, lid)
    assert call["complete"] is True and call["outcome"] == "abandoned_ivr" and call["caller"] == "0988"


@pytest.mark.parametrize("name", [
    "<script>alert('x')</script>",
    "Robert'); DROP TABLE calls;--",
    "Đ" * 300,
    b"\xff\xfeTr\xe1\xba\xa7n \xc3".decode("utf-8", errors="replace"),
    "tab\tnew\nline \"quoted\" back\\slash",
])
async def test_hostile_caller_ids_are_stored_as_text(db_pool, name):
    lid = linkedid()
    async with db_pool.acquire() as con:
        await upsert_calls(con, [full_record(lid, caller_name=name, caller_number=name[:40])])
    call = await get_call(db_pool, lid)
    assert call["caller_name"] == name and call["caller_number"] == name[:40]
    assert await db_pool.fetchval("SELECT count(*) FROM calls") >= 1  # the table is still there


async def test_nul_and_lone_surrogates_become_replacement_characters(db_pool):
    lid = linkedid()
    async with db_pool.acquire() as con:
        await upsert_calls(con, [full_record(lid, caller_name="a\x00b\udcffc")])
    assert (await get_call(db_pool, lid))["caller_name"] == "a\ufffdb\ufffdc"


async def test_invalid_record_writes_nothing(db_pool):
    good, bad = linkedid(), linkedid()
    async with db_pool.acquire() as con:
        with pytest.raises(ValueError, match=bad):
            await upsert_calls(con, [full_record(good), full_record(bad, outcome="lost")])
    assert await get_call(db_pool, good) is None


async def test_list_calls_newest_first_with_filters(db_pool):
    base = datetime(2030, 1, 1, tzinfo=timezone.utc)  # later than every other test's calls
    ids = [linkedid() for _ in range(4)]
    records = [full_record(lid, started_at=base + timedelta(minutes=i), agent="1002" if i % 2 else "1003")
               for i, lid in enumerate(ids)]
    async with db_pool.acquire() as con:
        await upsert_calls(con, records)
    newest = await list_calls(db_pool, limit=3)
    assert [c["linkedid"] for c in newest] == [ids[3], ids[2], ids[1]]
    assert set(newest[0]) >= {"linkedid", "caller", "started_at", "branch", "queue", "outcome",
                              "wait_s", "talk_s", "agent"}
    mine = await list_calls(db_pool, agent="1002", limit=10, before=base + timedelta(days=1))
    assert [c["linkedid"] for c in mine][:2] == [ids[3], ids[1]]
    older = await list_calls(db_pool, limit=2, before=base + timedelta(minutes=2))
    assert [c["linkedid"] for c in older] == [ids[1], ids[0]]
    with pytest.raises(ValueError):
        await list_calls(db_pool, limit=0)


async def test_unknown_call_is_none(db_pool):
    assert await get_call(db_pool, "no-such-call") is None


# -- agents and demo data -----------------------------------------------------------------

async def test_demo_data_loads_twice_without_duplicates(db_pool):
    people = read_demo_data()
    first = await load_demo_data(db_pool)
    second = await load_demo_data(db_pool)
    assert second == 0 and first in (0, len(people))  # 0 when another test loaded it first
    assert await db_pool.fetchval("SELECT count(*) FROM agents") == len(people) == 19
    agents = await list_agents(db_pool)
    assert [a["ext"] for a in agents if a["role"] == "agent"] == [str(e) for e in range(1001, 1017)]
    assert all(any(b["queue"] == "emergency" for b in a["branches"]) for a in agents if a["role"] == "agent")
    assert await db_pool.fetchval("SELECT count(*) FROM agent_branches") == sum(len(p.branches) for p in people)
    login = await get_login(db_pool, "1001")
    assert login is not None and verify_password(login["password_hash"], "demo1001")
    public = await get_agent(db_pool, "2001")
    assert public == {"ext": "2001", "name": "Nguyễn Văn Sơn", "role": "supervisor", "active": True,
                      "branches": []}
    assert "password_hash" not in public and "sip_password" not in public
    sip = {row["ext"]: row["sip_password"] for row in await list_sip_credentials(db_pool)}
    assert sip["1016"] == "sip1016-1022" and len(sip) == 19


# -- the private cluster ------------------------------------------------------------------

async def test_private_cluster_stop_start_keeps_data(make_pg_cluster):
    cluster = await make_pg_cluster()
    await cluster.create_database("keep")
    con = await asyncpg.connect(cluster.dsn("keep"))
    await migrate(con)
    await upsert_calls(con, [full_record("survivor")])
    await con.close()
    pid = cluster.pid
    await cluster.stop()
    await cluster.stop()  # idempotent
    assert not cluster.running and cluster.pid is None
    with pytest.raises(OSError):
        await asyncpg.connect(cluster.dsn("keep"), timeout=2)
    await cluster.start()
    assert cluster.running and cluster.pid != pid
    con = await asyncpg.connect(cluster.dsn("keep"))
    try:
        assert await con.fetchval("SELECT outcome FROM calls WHERE linkedid = 'survivor'") == "answered"
        assert await con.fetchval("SHOW listen_addresses") == "127.0.0.1"
    finally:
        await con.close()


async def test_private_cluster_start_failure_names_the_cause(make_pg_cluster):
    running = await make_pg_cluster()
    from runtime.postgres import ClusterError, PrivateCluster

    clash = PrivateCluster(running.data_dir.parent / "clash", running.port, start_timeout_s=20)
    try:
        with pytest.raises(ClusterError, match="another PostgreSQL|exited during start-up"):
            await clash.start()  # the port is taken by `running`
        assert not clash.running
    finally:
        await clash.stop()
