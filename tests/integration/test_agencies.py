"""The agency directory (migration 020, db/agencies.py, agent_console/api/agencies.py) on databases of
their own: the migration groups free-text variants into one entry each; admins create, edit and
deactivate entries (audited), bad input changes nothing; the wrap-up refuses an agency not in the
directory, inactive or not serving the call's branch; the report counts per entry; the transfer number (migration
024) is set and cleared, and the FastAGI route agency_transfer gives it only for an active entry."""
from __future__ import annotations

import asyncio
import secrets
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from db.calls import upsert_calls
from db.migrate import MIGRATIONS_DIR, migrate
from db.records import CallRecord
from db.reports import summary
from db.sessions import create_session
from ivr.agi.routes import build_routes
from ivr.agi.server import AgiServer
from tests.fixtures.console import AllUp
from tests.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

TZ = "Asia/Ho_Chi_Minh"
AGENCY_MIGRATION = 20


async def _fresh_pool(pg_cluster, prefix: str) -> asyncpg.Pool:
    name = f"ivr1022_{prefix}_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    return await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=4)


# -- the migration --------------------------------------------------------------------------

# (agency as typed, branch of its call); the first five are one agency, the next two another.
FREE_TEXT = [("Sở Y tế", 2), ("Sở Y tế", 3), ("  sở  y   tế ", 2), ("SO Y TE", 2), ("Sở Y Tế", 3),
             ("cdc ha noi", 2), ("CDC Hà Nội", 3), ("Công an phường Dịch Vọng", 4)]


async def test_the_migration_maps_free_text_variants_to_one_entry(pg_cluster, tmp_path: Path):
    before = tmp_path / "before"
    before.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        if int(path.name[:3]) < AGENCY_MIGRATION:
            shutil.copy(path, before / path.name)
    pool = await _fresh_pool(pg_cluster, "agency_migration")
    try:
        await migrate(pool, before)
        at = datetime(2021, 9, 2, 3, tzinfo=timezone.utc)
        async with pool.acquire() as con:
            await upsert_calls(con, [CallRecord(linkedid=f"m{n}", started_at=at + timedelta(minutes=n), caller_number="0900",
                                                branch=branch, queue="cdc", agent="1001", outcome="answered",
                                                answered_at=at, ended_at=at + timedelta(minutes=n + 1))
                                     for n, (_, branch) in enumerate(FREE_TEXT)])
        await pool.executemany("""INSERT INTO wrapups (linkedid, ext, category, outcome, agency, submitted_by)
                                  VALUES ($1, '1001', 'x', 'forwarded', $2, '1001')""",
                               [(f"m{n}", agency) for n, (agency, _) in enumerate(FREE_TEXT)])
        await pool.execute("""INSERT INTO tickets (caller_number, branch, category, status, agency, summary, created_by,
                                  created_at) VALUES ('0900', NULL, 'web', 'forwarded', 'phòng y tế quận', '', 'portal', $1)""",
                           at)
        await migrate(pool)

        entries = await pool.fetch("SELECT id, name, branches, active FROM agencies ORDER BY name_key")
        assert [(e["name"], list(e["branches"]), e["active"]) for e in entries] == [
            ("CDC Hà Nội", [2, 3], True),                # a tie of one each: the spelling with diacritics
            ("Công an phường Dịch Vọng", [4], True),
            ("phòng y tế quận", [1, 2, 3, 4], True),     # a ticket without a branch: every branch
            ("Sở Y tế", [2, 3], True)]                   # the most used spelling (2 of 5)
        ids = {e["name"]: e["id"] for e in entries}
        mapped = await pool.fetch("SELECT linkedid, agency, agency_id FROM wrapups ORDER BY linkedid")
        assert {(m["agency"], m["agency_id"]) for m in mapped[:5]} == {("Sở Y tế", ids["Sở Y tế"])}
        assert {(m["agency"], m["agency_id"]) for m in mapped[5:7]} == {("CDC Hà Nội", ids["CDC Hà Nội"])}
        assert await pool.fetchval("SELECT agency_id FROM tickets WHERE linkedid IS NULL") == ids["phòng y tế quận"]
        spellings = await pool.fetchval(
            "SELECT after -> 'spellings' FROM agency_changes WHERE agency_id = $1 AND action = 'migrate'", ids["Sở Y tế"])
        assert spellings == '["SO Y TE", "Sở Y Tế", "Sở Y tế", "sở y tế"]'
        # The report: one line per entry, from the raw rows and from the roll-up alike.
        start = datetime(2021, 9, 2, tzinfo=timezone(timedelta(hours=7)))
        for rollup in (True, False):
            report = await summary(pool, start=start, end=start + timedelta(days=1), tz=TZ, rollup=rollup)
            assert report["totals"]["forwarded_by_agency"] == [
                {"agency": "Sở Y tế", "forwarded": 5}, {"agency": "CDC Hà Nội", "forwarded": 2},
                {"agency": "Công an phường Dịch Vọng", "forwarded": 1}, {"agency": "phòng y tế quận", "forwarded": 1}]
    finally:
        await pool.close()


# -- over HTTP ------------------------------------------------------------------------------

@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(pg_cluster) -> AsyncIterator[tuple[TestClient, asyncpg.Pool]]:
    pool = await _fresh_pool(pg_cluster, "agency_api")
    await migrate(pool)
    await pool.executemany(
        "INSERT INTO agents (ext, name, role, password_hash, sip_password) VALUES ($1, $1, $2, 'pbkdf2_sha256$x', 'x')",
        [("1001", "agent"), ("2001", "supervisor"), ("9001", "admin")])
    app = init_app(ConsoleConfig(), lambda: pool, AllUp())
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client, pool
    await pool.close()


async def _call(client, method: str, path: str, ext: str, body=None):
    test_client, pool = client
    token, _ = await create_session(pool, ext, 600)
    response = await test_client.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
    return response.status, await response.json()


async def _snapshot(pool: asyncpg.Pool) -> tuple:
    return (tuple(await pool.fetch("SELECT * FROM agencies ORDER BY id")),
            await pool.fetchval("SELECT count(*) FROM agency_changes"))


async def test_admins_create_edit_and_deactivate_agencies_audited(client):
    _, pool = client
    status, made = await _call(client, "POST", "/api/v1/admin/agencies", "9001",
                               {"name": " Trung tâm Y tế quận Cầu Giấy ", "contact": "024 0000", "branches": [3, 2, 3]})
    assert status == 201, made
    assert (made["name"], made["contact"], made["branches"], made["active"]) == (
        "Trung tâm Y tế quận Cầu Giấy", "024 0000", [2, 3], True)
    status, listed = await _call(client, "GET", "/api/v1/agencies?branch=3", "1001")   # agents read the list
    assert status == 200 and made["id"] in [a["id"] for a in listed["agencies"]]
    assert made["id"] not in [a["id"] for a in (await _call(client, "GET", "/api/v1/agencies?branch=4", "1001"))[1]["agencies"]]

    status, edited = await _call(client, "PATCH", f"/api/v1/admin/agencies/{made['id']}", "9001",
                                 {"name": "TTYT quận Cầu Giấy", "branches": [2, 3, 4]})
    assert status == 200 and (edited["name"], edited["branches"], edited["contact"]) == (
        "TTYT quận Cầu Giấy", [2, 3, 4], "024 0000")
    status, off = await _call(client, "PATCH", f"/api/v1/admin/agencies/{made['id']}", "9001", {"active": False})
    assert status == 200 and off["active"] is False
    assert made["id"] not in [a["id"] for a in (await _call(client, "GET", "/api/v1/agencies", "1001"))[1]["agencies"]]
    every = (await _call(client, "GET", "/api/v1/agencies?all=1", "9001"))[1]["agencies"]
    assert [a["active"] for a in every if a["id"] == made["id"]] == [False]

    status, audit = await _call(client, "GET", f"/api/v1/admin/agencies/{made['id']}/changes", "9001")
    assert status == 200
    assert [(c["action"], c["by"]) for c in audit["changes"]] == [("edit", "9001"), ("edit", "9001"), ("create", "9001")]
    assert audit["changes"][1]["before"]["name"] == "Trung tâm Y tế quận Cầu Giấy"
    assert audit["changes"][0]["after"]["active"] is False


@pytest.mark.parametrize("method, path, ext, body, status, named", [
    ("POST", "/api/v1/admin/agencies", "9001", {"name": "   ", "branches": [2]}, 400, "name"),
    ("POST", "/api/v1/admin/agencies", "9001", {"branches": [2]}, 400, "name"),
    ("POST", "/api/v1/admin/agencies", "9001", {"name": "Sở Nội vụ", "branches": [5]}, 400, "branch 5"),
    ("POST", "/api/v1/admin/agencies", "9001", {"name": "Sở Nội vụ", "branches": []}, 400, "branches"),
    ("POST", "/api/v1/admin/agencies", "9001", {"name": "Sở Nội vụ"}, 400, "branches"),
    ("POST", "/api/v1/admin/agencies", "9001", {"name": "Sở Nội vụ", "branches": ["2"]}, 400, "branches"),
    ("POST", "/api/v1/admin/agencies", "9001", {"name": "Sở Nội vụ", "branches": [2], "colour": "x"}, 400, "colour"),
    ("POST", "/api/v1/admin/agencies", "9001", {"name": "x" * 121, "branches": [2]}, 400, "name"),
    ("POST", "/api/v1/admin/agencies", "9001", {"name": "  cong AN  phuong dich vong", "branches": [4]}, 409, "exists"),
    ("POST", "/api/v1/admin/agencies", "2001", {"name": "Sở Nội vụ", "branches": [2]}, 403, "admins"),
    ("POST", "/api/v1/admin/agencies", "1001", {"name": "Sở Nội vụ", "branches": [2]}, 403, "admins"),
    ("PATCH", "/api/v1/admin/agencies/{other}", "9001", {"name": "CÔNG AN PHƯỜNG DỊCH VỌNG"}, 409, "exists"),
    ("PATCH", "/api/v1/admin/agencies/{other}", "9001", {"branches": [0]}, 400, "branch 0"),
    ("PATCH", "/api/v1/admin/agencies/{other}", "9001", {"active": "no"}, 400, "active"),
    ("PATCH", "/api/v1/admin/agencies/{other}", "9001", {}, 400, "nothing to change"),
    ("PATCH", "/api/v1/admin/agencies/999999", "9001", {"active": False}, 404, "agency"),
    ("POST", "/api/v1/admin/agencies", "9001", {"name": "Sở Nội vụ", "branches": [2], "phone": "024 3765"}, 400, "phone"),
    ("PATCH", "/api/v1/admin/agencies/{other}", "9001", {"phone": "+84243765432"}, 400, "phone"),
    ("PATCH", "/api/v1/admin/agencies/{other}", "9001", {"phone": "12"}, 400, "phone"),
    ("PATCH", "/api/v1/admin/agencies/{other}", "9001", {"phone": 243765432}, 400, "phone"),
    ("PATCH", "/api/v1/admin/agencies/{other}", "9001", {"phone": "0243765432", "active": "no"}, 400, "active"),
    ("PATCH", "/api/v1/admin/agencies/{other}", "1001", {"phone": "0243765432"}, 403, "admins"),
    ("PATCH", "/api/v1/admin/agencies/{other}", "2001", {"active": False}, 403, "admins"),
    ("GET", "/api/v1/agencies?branch=7", "1001", None, 400, "branch"),
    ("GET", "/api/v1/agencies?all=1", "2001", None, 403, "admins"),
])
async def test_bad_input_is_refused_and_changes_nothing(client, method, path, ext, body, status, named):
    _, pool = client
    await pool.execute("""INSERT INTO agencies (name, branches, phone) VALUES ('Công an phường Dịch Vọng', '{4}', NULL),
                              ('Sở Tư pháp', '{2}', '02439999999') ON CONFLICT DO NOTHING""")
    other = await pool.fetchval("SELECT id FROM agencies WHERE name = 'Sở Tư pháp'")
    before = await _snapshot(pool)
    got, answer = await _call(client, method, path.format(other=other), ext, body)
    assert (got, named in answer.get("error", "")) == (status, True), answer
    assert await _snapshot(pool) == before


async def test_an_admin_sets_and_clears_the_transfer_number_audited(client):
    status, made = await _call(client, "POST", "/api/v1/admin/agencies", "9001",
                               {"name": "Công an quận Ba Đình", "branches": [4], "phone": "02438234567"})
    assert (status, made["phone"]) == (201, "02438234567"), made
    path = f"/api/v1/admin/agencies/{made['id']}"
    status, kept = await _call(client, "PATCH", path, "9001", {"contact": "trực ban"})
    assert (status, kept["phone"]) == (200, "02438234567"), kept          # not given: left as it is
    status, listed = await _call(client, "GET", "/api/v1/agencies", "1001")   # what the phone card lists
    assert [a["phone"] for a in listed["agencies"] if a["id"] == made["id"]] == ["02438234567"]
    status, cleared = await _call(client, "PATCH", path, "9001", {"phone": None})
    assert (status, cleared["phone"]) == (200, None), cleared
    status, again = await _call(client, "PATCH", path, "9001", {"phone": "113"})
    assert (status, again["phone"]) == (200, "113"), again
    status, blank = await _call(client, "PATCH", path, "9001", {"phone": ""})
    assert (status, blank["phone"]) == (200, None), blank
    audit = (await _call(client, "GET", f"{path}/changes", "9001"))[1]["changes"]
    assert [(c["before"] or {}).get("phone", "-") for c in audit] == [
        "113", None, "02438234567", "02438234567", "-"]
    assert [c["after"]["phone"] for c in audit] == [None, "113", None, "02438234567", "02438234567"]


async def test_the_database_keeps_only_digit_numbers_and_the_transfer_view_only_reachable_entries(client):
    _, pool = client
    for bad in ("12", "0243 765432", "+84243765432", "1" * 16, ""):
        with pytest.raises(asyncpg.CheckViolationError):
            await pool.execute("INSERT INTO agencies (name, branches, phone) VALUES ($1, '{2}', $2)",
                               f"Kiểm tra {bad!r}", bad)
    rows = await pool.fetch("""INSERT INTO agencies (name, branches, phone, active) VALUES
                                   ('Chuyển được', '{2}', '0243000111', true), ('Không số', '{2}', NULL, true),
                                   ('Ngừng', '{2}', '0243000222', false) RETURNING id, name""")
    ids = {r["name"]: r["id"] for r in rows}
    view = await pool.fetch("SELECT * FROM agency_transfer_extensions WHERE exten = ANY ($1::text[])",
                            [f"agency-{i}" for i in ids.values()])
    assert [dict(r) for r in view] == [{"context": "agent-transfer", "exten": f"agency-{ids['Chuyển được']}",
                                        "priority": 1, "app": "Goto", "appdata": f"agency-out,{ids['Chuyển được']},1"}]


# -- the wrap-up picks from the directory ----------------------------------------------------

async def _answered_call(pool: asyncpg.Pool, branch: int) -> str:
    linkedid = f"ag-{secrets.token_hex(5)}"
    now = datetime.now(timezone.utc)
    async with pool.acquire() as con:
        await upsert_calls(con, [CallRecord(linkedid=linkedid, started_at=now, caller_number="0912000111", branch=branch,
                                            queue="violations", agent="1001", outcome="answered", answered_at=now,
                                            ended_at=now)])
    return linkedid


async def test_the_wrap_up_takes_only_an_active_agency_serving_the_calls_branch(client):
    _, pool = client
    serving = await pool.fetchval("INSERT INTO agencies (name, branches) VALUES ('UBND phường Láng Hạ', '{4}') RETURNING id")
    elsewhere = await pool.fetchval("INSERT INTO agencies (name, branches) VALUES ('Trạm y tế Láng Hạ', '{2,3}') RETURNING id")
    retired = await pool.fetchval(
        "INSERT INTO agencies (name, branches, active) VALUES ('Ban chỉ đạo cũ', '{4}', false) RETURNING id")
    linkedid = await _answered_call(pool, branch=4)
    path = f"/api/v1/calls/{linkedid}/wrapup"
    form = {"category": "lấn chiếm vỉa hè", "outcome": "forwarded"}
    for extra, named in [({"agency_id": elsewhere}, "does not serve branch 4"), ({"agency_id": retired}, "no longer active"),
                         ({"agency_id": 999999}, "not in the directory"), ({"agency": "Phường nào đó"}, "not in the directory")]:
        status, answer = await _call(client, "POST", path, "1001", {**form, **extra})
        assert (status, named in answer["error"]) == (422, True), answer
    for extra, named in [({"agency_id": "1"}, "agency_id"), ({}, "agency_id")]:
        status, answer = await _call(client, "POST", path, "1001", {**form, **extra})
        assert (status, named in answer["error"]) == (400, True), answer
    assert await pool.fetchval("SELECT count(*) FROM wrapups WHERE linkedid = $1", linkedid) == 0
    assert await pool.fetchval("SELECT count(*) FROM tickets WHERE linkedid = $1", linkedid) == 0

    status, saved = await _call(client, "POST", path, "1001", {**form, "agency_id": serving})
    assert status == 200, saved
    assert (saved["wrapup"]["agency"], saved["wrapup"]["agency_id"]) == ("UBND phường Láng Hạ", serving)
    assert (saved["ticket"]["agency"], saved["ticket"]["status"]) == ("UBND phường Láng Hạ", "forwarded")
    # A name is looked up in the directory, case and diacritics aside; stored as the entry's name.
    other = await _answered_call(pool, branch=4)
    status, saved = await _call(client, "POST", f"/api/v1/calls/{other}/wrapup", "1001",
                                {**form, "agency": "ubnd phuong lang ha"})
    assert status == 200 and (saved["wrapup"]["agency"], saved["wrapup"]["agency_id"]) == ("UBND phường Láng Hạ", serving)
    # Renaming the entry renames it in its wrap-ups and tickets: the report keeps one line for it.
    await _call(client, "PATCH", f"/api/v1/admin/agencies/{serving}", "9001", {"name": "UBND phường Láng Hạ (Đống Đa)"})
    assert await pool.fetchval("SELECT array_agg(DISTINCT agency) FROM wrapups WHERE agency_id = $1", serving) == [
        "UBND phường Láng Hạ (Đống Đa)"]
    assert await pool.fetchval("SELECT array_agg(DISTINCT agency) FROM tickets WHERE agency_id = $1", serving) == [
        "UBND phường Láng Hạ (Đống Đa)"]


async def test_a_ticket_forwarded_by_name_is_stored_as_the_directorys_entry(client):
    _, pool = client
    entry = await pool.fetchval("INSERT INTO agencies (name, branches) VALUES ('Phòng Y tế quận Đống Đa', '{2}') RETURNING id")
    status, ticket = await _call(client, "POST", "/api/v1/tickets", "2001",
                                 {"caller_number": "0912000222", "branch": 2, "category": "tiêm chủng", "summary": "hỏi"})
    assert status == 201, ticket
    status, moved = await _call(client, "POST", f"/api/v1/tickets/{ticket['id']}/status", "2001",
                                {"status": "forwarded", "agency": "  phong y te quan dong da "})
    assert status == 200, moved
    row = await pool.fetchrow("SELECT agency, agency_id FROM tickets WHERE id = $1", ticket["id"])
    assert (row["agency"], row["agency_id"]) == ("Phòng Y tế quận Đống Đa", entry)
    # A name the directory does not know stays as typed, without an entry.
    status, other = await _call(client, "POST", "/api/v1/tickets", "2001",
                                {"caller_number": "0912000223", "branch": 2, "category": "x", "summary": "y"})
    await _call(client, "POST", f"/api/v1/tickets/{other['id']}/status", "2001",
                {"status": "forwarded", "agency": "Đội quản lý thị trường số 5"})
    row = await pool.fetchrow("SELECT agency, agency_id FROM tickets WHERE id = $1", other["id"])
    assert (row["agency"], row["agency_id"]) == ("Đội quản lý thị trường số 5", None)


# -- the FastAGI route a transfer to an agency asks (dialplan context agency-out) -------------

async def _ask_agency_transfer(port: int, agency_arg: str) -> list[str]:
    """Speak as Asterisk does to AGI(agi://…/agency_transfer,<arg>): headers, then answer each command."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"agi_network_script: agency_transfer\nagi_arg_1: {agency_arg}\nagi_uniqueid: 1.1\n\n".encode())
    commands = []
    while line := await asyncio.wait_for(reader.readline(), 5):
        commands.append(line.decode().rstrip("\n"))
        writer.write(b"200 result=1\n")
    writer.close()
    return commands


async def test_the_agi_route_gives_the_directorys_number_or_nothing(client):
    _, pool = client
    rows = await pool.fetch("""INSERT INTO agencies (name, branches, phone, active) VALUES
                                   ('Đội cảnh sát PCCC quận Hoàn Kiếm', '{4}', '02439123456', true),
                                   ('Đội cảnh sát PCCC quận Tây Hồ', '{4}', '02439654321', false),
                                   ('Đội cảnh sát PCCC quận Long Biên', '{4}', NULL, true) RETURNING id""")
    reachable, inactive, phoneless = (r["id"] for r in rows)
    port = free_port()
    server = AgiServer("127.0.0.1", port, build_routes(pool))
    await server.start()
    try:
        assert await _ask_agency_transfer(port, str(reachable)) == ['SET VARIABLE AGENCY_NUMBER "02439123456"']
        for refused in (str(inactive), str(phoneless), "999999", "7; 0912", ""):
            assert await _ask_agency_transfer(port, refused) == ['SET VARIABLE AGENCY_NUMBER ""'], refused
        assert server.failures == 0
    finally:
        await server.stop()
