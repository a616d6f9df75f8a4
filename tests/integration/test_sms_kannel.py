"""Issue 14, the SMS channel on a real Kannel (bearerbox + smsbox) with Kannel's fakesmsc as the SMSC,
against the real database: an MO message becomes an sms ticket and the SMSC gets the tracking code
back; Vietnamese (UCS-2) arrives intact; a follow-up joins the open request; an agent's reply from
the console reaches the SMSC and its delivery report is recorded; a gateway retry creates nothing."""
from __future__ import annotations

import random
from urllib.parse import quote

import asyncpg
import pytest

from tests.fixtures.kannel import HOTLINE, SmsStack, ucs2_message
from tests.integration.test_console_api import bearer, token_for
from tests.waiting import until

pytestmark = pytest.mark.integration

VIETNAMESE = "Xin hỏi: nhà tôi ở phường Láng Hạ có F0, cần bác sĩ tư vấn điều trị tại nhà. Đặng Thị Ánh"


def a_mobile() -> str:
    return f"09{random.choice('1468')}{random.randrange(10**7):07d}"


async def sms_tickets(pool: asyncpg.Pool, phone: str) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT * FROM tickets WHERE channel = 'sms' AND caller_number = $1 ORDER BY id", phone)


def replies_to(stack: SmsStack, phone: str) -> list:
    return [mt for mt in stack.smsc.replies() if mt.receiver == phone]


async def test_an_sms_becomes_a_ticket_and_the_citizen_gets_the_code(sms_stack, db_pool):
    phone = a_mobile()
    sms_stack.smsc.inject(ucs2_message(phone, "BS " + VIETNAMESE))
    rows = await until(lambda: sms_tickets(db_pool, phone), 60, "the sms ticket")
    assert len(rows) == 1
    ticket = rows[0]
    assert (ticket["channel"], ticket["branch"], ticket["category"], ticket["status"]) == ("sms", 3, "doctors", "open")
    assert ticket["summary"] == "BS " + VIETNAMESE                    # UCS-2 through Kannel, intact
    reply = (await until(lambda: replies_to(sms_stack, phone), 60, "the reply SMS at the fake SMSC"))[0]
    assert reply.sender == HOTLINE and ticket["tracking_code"] in reply.text
    stored = await db_pool.fetchrow("SELECT * FROM sms_inbound WHERE ticket_id = $1", ticket["id"])
    assert stored["gateway"] == "kannel" and stored["reply"] == reply.text and stored["receiver"] == HOTLINE

    # A follow-up from the same number joins the open request and gets its code again.
    sms_stack.smsc.inject(f"{phone} {HOTLINE} text Them thong tin: dia chi so 5 ngo 10")
    async def messages_of_ticket() -> bool:
        return await db_pool.fetchval("SELECT count(*) FROM sms_inbound WHERE ticket_id = $1", ticket["id"]) == 2
    await until(messages_of_ticket, 60, "the follow-up")
    assert len(await sms_tickets(db_pool, phone)) == 1
    notes = await db_pool.fetch("SELECT by, note FROM ticket_events WHERE ticket_id = $1 ORDER BY id", ticket["id"])
    assert ("sms", "Them thong tin: dia chi so 5 ngo 10") in [(n["by"], n["note"]) for n in notes]
    await until(lambda: len(replies_to(sms_stack, phone)) == 2, 60, "the follow-up's reply")
    assert ticket["tracking_code"] in replies_to(sms_stack, phone)[1].text


async def test_an_agents_reply_reaches_the_smsc_with_its_delivery_status(sms_stack, db_pool):
    phone = a_mobile()
    sms_stack.smsc.inject(f"{phone} {HOTLINE} text CDC lich tiem mui 3 o dau")
    ticket = (await until(lambda: sms_tickets(db_pool, phone), 60, "the sms ticket"))[0]
    assert ticket["branch"] == 2
    token = await token_for(sms_stack.client, "1004")                       # serves cdc
    claimed = await sms_stack.client.post(f"/api/v1/tickets/{ticket['id']}/claim", headers=bearer(token))
    assert claimed.status == 200, await claimed.text()
    answer = "Chào bạn, điểm tiêm gần nhất: Trạm y tế phường Láng Hạ, 8h-17h."
    resp = await sms_stack.client.post(f"/api/v1/tickets/{ticket['id']}/replies", headers=bearer(token),
                                       json={"text": answer})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["sms_sends"][0]["text"] == answer and body["history"][-1]["public"] is True
    got = await until(lambda: [mt for mt in replies_to(sms_stack, phone) if mt.text == answer], 60,
                      "the agent's reply at the fake SMSC")
    assert got[0].sender == HOTLINE                                         # UCS-2: the diacritics kept
    status = await until(lambda: db_pool.fetchval(
        "SELECT status FROM sms_outbound WHERE ticket_id = $1 AND status <> 'queued'", ticket["id"]), 60,
        "the delivery report")
    assert status in ("sent", "delivered")


async def test_the_same_message_id_twice_makes_one_ticket(sms_stack, db_pool):
    """A gateway that retries (its HTTP answer lost) sends the same id: the same answer, nothing new."""
    phone = a_mobile()
    params = {"secret": sms_stack.secret, "gateway": "kannel", "from": f"+84{phone[1:]}", "to": HOTLINE,
              "text": "VP quan karaoke <b>mo cua</b> '); DROP TABLE tickets; --", "id": f"retry-{phone}"}
    first = await sms_stack.client.get("/api/v1/sms/inbound", params=params)
    second = await sms_stack.client.get("/api/v1/sms/inbound", params=params)
    assert first.status == second.status == 200
    assert await first.text() == await second.text()
    rows = await sms_tickets(db_pool, phone)
    assert len(rows) == 1 and rows[0]["tracking_code"] in await first.text()
    assert rows[0]["branch"] == 4 and rows[0]["summary"] == params["text"]       # stored as text
    assert await db_pool.fetchval("SELECT count(*) FROM sms_inbound WHERE message_id = $1", params["id"]) == 1


async def test_jasmin_is_answered_ack_and_parts_are_joined(sms_stack, db_pool):
    phone = a_mobile()
    base = {"secret": sms_stack.secret, "from": phone, "to": HOTLINE, "coding": "0"}
    resp = await sms_stack.client.post("/api/v1/sms/inbound", data={**base, "id": f"j-{phone}", "content": "CDC hoi"})
    assert (resp.status, await resp.text()) == (200, "ACK/Jasmin")
    assert (await sms_tickets(db_pool, phone))[0]["created_by"] == "sms"
    # Two parts of one message (UDH reference 0x2A), the second first; closed request: a new one.
    await db_pool.execute("UPDATE tickets SET status = 'closed' WHERE caller_number = $1", phone)
    kannel = {"secret": sms_stack.secret, "gateway": "kannel", "from": phone, "to": HOTLINE}
    two = await sms_stack.client.get("/api/v1/sms/inbound",
                                     params={**kannel, "id": f"p2-{phone}", "udh": "0500032A0202", "text": " phần hai"})
    assert (two.status, await two.text()) == (200, "")                          # nothing sent back yet
    one = await sms_stack.client.get("/api/v1/sms/inbound",
                                     params={**kannel, "id": f"p1-{phone}", "udh": "0500032A0201", "text": "Phần một,"})
    rows = await sms_tickets(db_pool, phone)
    assert len(rows) == 2 and rows[1]["summary"] == "Phần một, phần hai" and rows[1]["tracking_code"] in await one.text()


async def test_bad_gateway_input_gets_a_clear_400_and_changes_nothing(sms_stack, db_pool):
    before = await db_pool.fetchval("SELECT count(*) FROM sms_inbound")
    url = "/api/v1/sms/inbound"
    wrong = await sms_stack.client.get(url, params={"secret": "nope", "from": a_mobile(), "text": "x", "id": "1"})
    assert wrong.status == 403
    ok = {"secret": sms_stack.secret, "from": a_mobile(), "id": "bad-1"}
    broken = await sms_stack.client.get(f"{url}?secret={ok['secret']}&from={ok['from']}&id=bad-1&text=%FF%FE%C3")
    assert broken.status == 400 and "UTF-8" in (await broken.json())["error"]
    for params, word in (({**ok, "text": ""}, "text"), ({**ok, "text": "x", "from": "abc"}, "from"),
                         ({**ok, "text": "x", "id": ""}, "id"), ({**ok, "text": "x" * 2001}, "text")):
        resp = await sms_stack.client.get(url, params=params)
        assert resp.status == 400 and word in (await resp.json())["error"], params
    assert await db_pool.fetchval("SELECT count(*) FROM sms_inbound") == before
    dlr = await sms_stack.client.get("/api/v1/sms/delivery", params={"secret": sms_stack.secret, "send": "x", "type": "1"})
    assert dlr.status == 400


async def test_a_calls_screen_pop_shows_open_requests_and_a_request_shows_the_calls(sms_stack, db_pool):
    phone = a_mobile()
    params = {"secret": sms_stack.secret, "gateway": "kannel", "from": phone, "to": HOTLINE,
              "text": "CDC xin lich tiem", "id": f"pop-{phone}"}
    assert (await sms_stack.client.get("/api/v1/sms/inbound", params=params)).status == 200
    ticket = (await sms_tickets(db_pool, phone))[0]
    await db_pool.execute("""INSERT INTO calls (linkedid, caller_number, started_at, branch, queue, outcome)
                             VALUES ($1, $2, now() - interval '1 hour', 2, 'cdc', 'answered')""", f"pop-{phone}", phone)
    supervisor = await token_for(sms_stack.client, "2001")
    history = await (await sms_stack.client.get(f"/api/v1/callers/{phone}/history", headers=bearer(supervisor))).json()
    assert [(r["channel"], r["tracking_code"]) for r in history["open_requests"]] == [("sms", ticket["tracking_code"])]
    detail = await (await sms_stack.client.get(f"/api/v1/tickets/{ticket['id']}", headers=bearer(supervisor))).json()
    assert [c["linkedid"] for c in detail["citizen_calls"]] == [f"pop-{phone}"]
    await db_pool.execute("UPDATE tickets SET status = 'closed' WHERE id = $1", ticket["id"])
    history = await (await sms_stack.client.get(f"/api/v1/callers/{phone}/history", headers=bearer(supervisor))).json()
    assert history["open_requests"] == []                                    # closed: no longer open


async def test_jasmin_ucs2_is_decoded_and_broken_bytes_are_a_400(sms_stack, db_pool):
    phone = a_mobile()
    text = "Tôi cần bác sĩ tư vấn"
    body = (f"id=ju-{phone}&from={phone}&to={HOTLINE}&coding=8&content="
            + quote(text.encode("utf-16-be"), safe=""))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-SMS-Secret": sms_stack.secret}
    resp = await sms_stack.client.post("/api/v1/sms/inbound", data=body.encode(), headers=headers)
    assert (resp.status, await resp.text()) == (200, "ACK/Jasmin")
    assert (await sms_tickets(db_pool, phone))[0]["summary"] == text
    broken = f"id=jb-{phone}&from={phone}&to={HOTLINE}&coding=0&content=%FF%FE%C3"
    resp = await sms_stack.client.post("/api/v1/sms/inbound", data=broken.encode(), headers=headers)
    assert resp.status == 400 and "content" in (await resp.json())["error"]
    assert await db_pool.fetchval("SELECT count(*) FROM sms_inbound WHERE message_id = $1", f"jb-{phone}") == 0
