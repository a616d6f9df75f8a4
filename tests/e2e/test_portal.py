"""Issue 14 in the browser: a citizen sends a request from the portal on a phone-sized screen (Vietnamese
with diacritics) and gets a tracking code; an agent of the branch claims it in the written-requests
queue, replies and resolves it; the citizen's lookup shows the reply and "resolved". Screenshots of
both views at 390×844 and 1366×768."""
from __future__ import annotations

import random

import pytest

from tests.e2e.console_helpers import SCREENSHOTS, base_url, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

AGENT = "1013"          # violations; no other browser test claims written requests as him
REQUEST = "Quán karaoke ở ngõ 45 Nguyễn Chí Thanh hát to sau 23 giờ đêm, ảnh hưởng người già và trẻ nhỏ."
REPLY = "Đường dây nóng đã chuyển Công an phường Láng Thượng kiểm tra và xử lý trong tối nay."


async def test_a_citizen_request_is_claimed_answered_and_resolved(controller, db_pool, new_page):
    await db_pool.execute("DELETE FROM portal_submissions WHERE remote_addr = '127.0.0.1'")
    phone = f"098{random.randrange(10**7):07d}"
    citizen = await new_page(390, 844)
    await citizen.goto(base_url(controller) + "/portal")
    assert await citizen.get_attribute("#call-115", "href") == "tel:115"
    await citizen.check("#subject-violations")
    await citizen.fill("#phone", f"{phone[:4]} {phone[4:7]} {phone[7:]}")
    await citizen.fill("#name", "Trần Thị Bích Ngọc")
    await citizen.fill("#area", "Đống Đa, Láng Thượng")
    await citizen.fill("#text", REQUEST)
    await citizen.screenshot(path=str(SCREENSHOTS / "portal-form-390.png"), full_page=True)
    await citizen.click("#send")
    await citizen.wait_for_selector("#sent:not([hidden])")
    code = (await citizen.text_content("#sent-code")).strip()
    assert len(code) == 8 and not set(code) & set("01OI")
    assert await citizen.evaluate("() => document.documentElement.scrollWidth") <= 390
    await citizen.screenshot(path=str(SCREENSHOTS / "portal-sent-390.png"), full_page=True)
    row = await db_pool.fetchrow("SELECT channel, branch, summary, caller_number FROM tickets WHERE tracking_code = $1",
                                 code)
    assert tuple(row) == ("web", 4, REQUEST, phone)

    narrow = await new_page(390, 844)
    await sign_in(narrow, controller, AGENT)
    await narrow.click("#nav-written")
    await narrow.wait_for_url("**/written")
    await narrow.wait_for_selector(f'#wr-rows tr[data-code="{code}"]')
    assert await narrow.evaluate("() => document.documentElement.scrollWidth") <= 390
    await narrow.screenshot(path=str(SCREENSHOTS / "written-queue-390.png"), full_page=True)

    agent = await new_page(1366, 768)
    await sign_in(agent, controller, AGENT)
    await agent.goto(base_url(controller) + "/written")
    await agent.click(f'#wr-rows tr[data-code="{code}"]')
    await agent.wait_for_selector("#claim:not([hidden])")
    assert await agent.text_content("#d-text") == REQUEST
    assert await agent.text_content("#d-phone") == phone
    await agent.click("#claim")
    await agent.wait_for_selector("#work:not([hidden])")
    await agent.wait_for_selector(f'#wr-rows tr[data-code="{code}"] >> text={AGENT}')
    await agent.fill("#reply-text", "Ghi chú: chủ quán đã bị nhắc một lần (nội bộ)")
    await agent.click("#save-note")
    await agent.wait_for_function("() => document.querySelectorAll('#d-history tr').length === 3")
    await agent.fill("#reply-text", REPLY)
    await agent.click("#send-reply")
    await agent.wait_for_function("() => document.querySelectorAll('#d-history tr.public').length === 1")
    await agent.fill("#forward-agency", "Công an phường Láng Thượng")
    await agent.click("#forward")
    await agent.wait_for_selector('#d-status[data-status="forwarded"]')
    await agent.screenshot(path=str(SCREENSHOTS / "written-detail-1366.png"), full_page=True)
    await narrow.reload()
    await narrow.click(f'#wr-rows tr[data-code="{code}"]')
    await narrow.wait_for_selector('#d-status[data-status="forwarded"]')
    await narrow.wait_for_selector("#work:not([hidden])")              # the same agent, on his phone
    assert await narrow.evaluate("() => document.documentElement.scrollWidth") <= 390
    await narrow.screenshot(path=str(SCREENSHOTS / "written-detail-390.png"), full_page=True)
    await agent.click("#resolve")
    await agent.wait_for_selector('#d-status[data-status="closed"]')
    await agent.wait_for_selector(f'#wr-rows tr[data-code="{code}"]', state="detached")

    await citizen.reload()
    await citizen.fill("#lookup-code", code.lower())
    await citizen.fill("#lookup-phone", phone)
    await citizen.click("#find")
    await citizen.wait_for_selector('#r-status[data-status="resolved"]')
    assert await citizen.text_content("#r-status") == "Đã giải quyết"
    replies = await citizen.locator("#r-replies li p").all_inner_texts()
    assert replies == [REPLY]                                   # the internal note is not there
    assert await citizen.evaluate("() => document.documentElement.scrollWidth") <= 390
    await citizen.screenshot(path=str(SCREENSHOTS / "portal-resolved-390.png"), full_page=True)

    # Hostile input is stored as written and shown as text, to the agent and to the citizen.
    hostile = "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=1</script>' OR 1=1; --"
    sent = await citizen.request.post(base_url(controller) + "/api/v1/public/requests", data={
        "subject": "violations", "phone": phone, "text": hostile, "name": "<b>Tên</b>"})
    hostile_code = (await sent.json())["tracking_code"]
    await agent.reload()
    await agent.click(f'#wr-rows tr[data-code="{hostile_code}"]')
    await agent.wait_for_selector("#claim:not([hidden])")
    assert await agent.text_content("#d-text") == hostile and await agent.text_content("#d-name") == "<b>Tên</b>"
    assert await agent.locator("#wr-detail img, #wr-detail script, #wr-detail b").count() == 0
    assert await agent.evaluate("() => window.__pwned === undefined")

    wide = await new_page(1366, 768)
    await wide.goto(base_url(controller) + "/portal")
    await wide.fill("#lookup-code", code)
    await wide.fill("#lookup-phone", phone)
    await wide.click("#find")
    await wide.wait_for_selector('#r-status[data-status="resolved"]')
    await wide.screenshot(path=str(SCREENSHOTS / "portal-resolved-1366.png"), full_page=True)
    await wide.click("#lang-toggle")
    await wide.wait_for_function("() => document.getElementById('r-status').textContent === 'Resolved'")
