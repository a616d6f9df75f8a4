"""Issue 14: the citizen portal's API and the agents' written-requests queue, on a real server against
the real database: a request becomes a web ticket with a tracking code; the lookup needs code and
phone; limits, honeypot and duplicates; two claims at once, exactly one wins; a public reply and the
resolved status reach the citizen, internal notes never do."""
from __future__ import annotations

import asyncio
import random
from typing import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from db.demo import load_demo_data
from db.written_requests import ClaimRefused, claim
from tests.integration.test_console_api import SettableHealth, bearer, token_for

pytestmark = pytest.mark.integration

HOSTILE = "<script>alert('x')</script> '); DROP TABLE tickets; -- Quán \"ăn\" & <b>đêm</b>"


def a_mobile() -> str:
    return f"09{random.choice('1468')}{random.randrange(10**7):07d}"


@pytest_asyncio.fixture(loop_scope="session")
async def client(db_pool: asyncpg.Pool) -> AsyncIterator[TestClient]:
    await load_demo_data(db_pool)
    await db_pool.execute("DELETE FROM portal_submissions")     # the limits count from this test on
    app = init_app(ConsoleConfig(), lambda: db_pool, SettableHealth())
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client
    await db_pool.execute("DELETE FROM portal_submissions")


async def send(client: TestClient, **fields) -> tuple[int, dict]:
    body = {"subject": "cdc", "phone": a_mobile(), "text": "Xin hỏi lịch tiêm vắc-xin mũi 3 ở phường Láng Hạ"}
    body.update(fields)
    resp = await client.post("/api/v1/public/requests", json=body)
    return resp.status, await resp.json()


async def test_a_request_gets_a_code_and_is_found_only_with_its_phone(client, db_pool):
    phone = "0912 345 678"
    status, body = await send(client, phone=phone, name="Nguyễn Văn Á", area="Đống Đa / Láng Hạ", subject="doctors")
    assert status == 201 and body["duplicate"] is False
    code = body["tracking_code"]
    assert len(code) == 8 and not set(code) & set("01OI")
    row = await db_pool.fetchrow("SELECT * FROM tickets WHERE tracking_code = $1", code)
    assert (row["channel"], row["branch"], row["caller_number"], row["status"], row["citizen_area"]) == (
        "web", 3, "0912345678", "open", "Đống Đa / Láng Hạ")

    for spelled in ("+84912345678", "0912.345.678"):
        resp = await client.get(f"/api/v1/public/requests/{code.lower()}", params={"phone": spelled})
        assert resp.status == 200
        found = await resp.json()
        assert found["status"] == "received" and found["replies"] == [] and "caller_number" not in found
    wrong_phone = await client.get(f"/api/v1/public/requests/{code}", params={"phone": "0987654321"})
    other = "".join("Z" if ch != "Z" else "Y" for ch in code)
    wrong_code = await client.get(f"/api/v1/public/requests/{other}", params={"phone": phone})
    no_phone = await client.get(f"/api/v1/public/requests/{code}")
    assert wrong_phone.status == wrong_code.status == no_phone.status == 404
    assert await wrong_phone.json() == await wrong_code.json() == await no_phone.json()


async def test_bad_fields_get_400_naming_the_field(client):
    for fields, field in (({"phone": "12345"}, "phone"), ({"phone": "+1 202 555 0100"}, "phone"),
                          ({"subject": "emergency"}, "subject"), ({"text": "  "}, "text"),
                          ({"text": "x" * 2001}, "text"), ({"name": "n" * 81}, "name")):
        status, body = await send(client, **fields)
        assert (status, body.get("field")) == (400, field), (fields, body)
    assert "0912 345 678" in (await send(client, phone="abc"))[1]["error"]
    broken = await client.post("/api/v1/public/requests", data=b'{"text": "\xff\xfe"}',
                               headers={"Content-Type": "application/json"})
    assert broken.status == 400


async def test_hostile_text_is_stored_as_it_was_written(client, db_pool):
    status, body = await send(client, text=HOSTILE, name="<img src=x onerror=alert(1)>")
    assert status == 201
    row = await db_pool.fetchrow("SELECT summary, citizen_name FROM tickets WHERE tracking_code = $1",
                                 body["tracking_code"])
    assert (row["summary"], row["citizen_name"]) == (HOSTILE, "<img src=x onerror=alert(1)>")
    assert await db_pool.fetchval("SELECT to_regclass('tickets') IS NOT NULL")


async def test_the_same_request_again_gets_the_same_code(client, db_pool):
    phone = a_mobile()
    first = await send(client, phone=phone, text="Đèn đường hỏng ở ngõ 12")
    again = await asyncio.gather(*(send(client, phone=phone, text="Đèn đường hỏng ở ngõ 12") for _ in range(3)))
    assert {code for _, code in [(s, b["tracking_code"]) for s, b in again]} == {first[1]["tracking_code"]}
    assert all(b["duplicate"] for _, b in again)
    other = await send(client, phone=phone, text="Đèn đường hỏng ở ngõ 14")
    assert other[1]["tracking_code"] != first[1]["tracking_code"]
    assert await db_pool.fetchval("SELECT count(*) FROM tickets WHERE caller_number = $1", phone) == 2


async def test_the_honeypot_stores_nothing(client, db_pool):
    phone = a_mobile()
    status, body = await send(client, phone=phone, website="http://spam.example")
    assert status == 201 and len(body["tracking_code"]) == 8
    assert await db_pool.fetchval("SELECT count(*) FROM tickets WHERE caller_number = $1", phone) == 0
    resp = await client.get(f"/api/v1/public/requests/{body['tracking_code']}", params={"phone": phone})
    assert resp.status == 404


async def test_the_31st_submission_from_one_address_gets_429(client, db_pool):
    for n in range(30):
        status, body = await send(client, text=f"Yêu cầu số {n}")
        assert status == 201, (n, body)
    status, body = await send(client, text="Yêu cầu số 31")
    assert status == 429 and "thử lại sau" in body["error"] and "try again later" in body["error"]
    await db_pool.execute("DELETE FROM portal_submissions")


async def test_forty_submissions_at_once_from_one_address_let_exactly_30_through(client, db_pool):
    answers = await asyncio.gather(*(send(client, text=f"Cùng lúc {n}") for n in range(40)))
    assert sorted(status for status, _ in answers) == [201] * 30 + [429] * 10
    await db_pool.execute("DELETE FROM portal_submissions")


async def test_the_11th_submission_for_one_phone_gets_429(client, db_pool):
    phone = a_mobile()
    for n in range(10):
        assert (await send(client, phone=phone, text=f"Lần {n}"))[0] == 201
    assert (await send(client, phone=phone, text="Lần 11"))[0] == 429
    assert (await send(client, text="Số khác"))[0] == 201
    await db_pool.execute("DELETE FROM portal_submissions")


async def test_two_agents_claim_at_once_and_exactly_one_wins(client, db_pool):
    code = (await send(client, subject="cdc"))[1]["tracking_code"]
    ticket_id = await db_pool.fetchval("SELECT id FROM tickets WHERE tracking_code = $1", code)
    tokens = [await token_for(client, ext) for ext in ("1001", "1002", "1007")]    # cdc, cdc, doctors only
    queue = await client.get("/api/v1/written-requests?branch=cdc", headers=bearer(tokens[0]))
    listed = (await queue.json())["requests"]
    assert ticket_id in [r["id"] for r in listed]
    assert [r["created_at"] for r in listed] == sorted(r["created_at"] for r in listed)     # oldest first
    assert (await client.get("/api/v1/written-requests?branch=cdc", headers=bearer(tokens[2]))).status == 403
    assert (await client.post(f"/api/v1/tickets/{ticket_id}/claim", headers=bearer(tokens[2]))).status == 403

    answers = await asyncio.gather(*(client.post(f"/api/v1/tickets/{ticket_id}/claim", headers=bearer(t))
                                     for t in tokens[:2]))
    assert sorted(a.status for a in answers) == [200, 409]
    winner = "1001" if answers[0].status == 200 else "1002"
    assert await db_pool.fetchval("SELECT claimed_by FROM tickets WHERE id = $1", ticket_id) == winner
    assert await db_pool.fetchval("SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND note = 'claimed'",
                                  ticket_id) == 1
    loser = tokens[1] if winner == "1001" else tokens[0]
    assert (await client.post(f"/api/v1/tickets/{ticket_id}/replies", json={"text": "x"},
                              headers=bearer(loser))).status == 403


async def test_many_claims_at_once_in_the_database_give_one_holder(client, db_pool):
    code = (await send(client, subject="doctors"))[1]["tracking_code"]
    ticket_id = await db_pool.fetchval("SELECT id FROM tickets WHERE tracking_code = $1", code)
    results = await asyncio.gather(*(claim(db_pool, ticket_id, f"10{n:02d}") for n in range(1, 9)),
                                   return_exceptions=True)
    won = [r for r in results if isinstance(r, dict)]
    assert len(won) == 1 and all(isinstance(r, ClaimRefused) for r in results if not isinstance(r, dict))
    assert await db_pool.fetchval("SELECT claimed_by FROM tickets WHERE id = $1", ticket_id) == won[0]["claimed_by"]


async def test_replies_forwarding_and_resolving_reach_the_citizen_but_notes_do_not(client, db_pool):
    phone = a_mobile()
    code = (await send(client, subject="violations", phone=phone, text="Karaoke ồn sau 23 giờ"))[1]["tracking_code"]
    ticket_id = await db_pool.fetchval("SELECT id FROM tickets WHERE tracking_code = $1", code)
    agent = bearer(await token_for(client, "1012"))
    assert (await client.post(f"/api/v1/tickets/{ticket_id}/claim", headers=agent)).status == 200

    async def citizen() -> dict:
        resp = await client.get(f"/api/v1/public/requests/{code}", params={"phone": phone})
        assert resp.status == 200
        return await resp.json()

    assert (await citizen())["status"] == "in_progress"
    note = await client.post(f"/api/v1/tickets/{ticket_id}/replies", headers=agent,
                             json={"text": "Số máy của chủ quán: 0243xxxx (nội bộ)", "public": False})
    reply = await client.post(f"/api/v1/tickets/{ticket_id}/replies", headers=agent,
                              json={"text": "Chúng tôi đã chuyển công an phường xử lý."})
    assert note.status == reply.status == 200
    moved = await client.post(f"/api/v1/tickets/{ticket_id}/status", headers=agent,
                              json={"status": "forwarded", "agency": "Công an phường Dịch Vọng"})
    assert moved.status == 200 and (await citizen())["status"] == "forwarded"
    closed = await client.post(f"/api/v1/tickets/{ticket_id}/status", headers=agent, json={"status": "closed"})
    assert closed.status == 200
    seen = await citizen()
    assert seen["status"] == "resolved"
    assert [r["text"] for r in seen["replies"]] == ["Chúng tôi đã chuyển công an phường xử lý."]
    history = (await closed.json())["history"]
    assert [(h["status"], h["public"]) for h in history] == [
        ("open", False), ("open", False), ("open", False), ("open", True), ("forwarded", False), ("closed", False)]

    web = await client.get("/api/v1/tickets?channel=web", headers=agent)
    assert ticket_id in [t["id"] for t in (await web.json())["tickets"]]
    phone_only = await client.get("/api/v1/tickets?channel=phone", headers=bearer(await token_for(client, "2001")))
    assert all(t["channel"] == "phone" for t in (await phone_only.json())["tickets"])
    assert (await client.get("/api/v1/tickets?channel=fax", headers=agent)).status == 400
    assert (await client.post(f"/api/v1/tickets/{ticket_id}/claim", headers=agent)).status == 409   # closed
