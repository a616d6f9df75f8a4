"""Issue 5: tickets (phản ánh) in the browser — a ticket without a call, search, detail, the
status path open → forwarded → verified → closed with its history; other agents get 403."""
from __future__ import annotations

import uuid

import aiohttp
import pytest

from tests.e2e.console_helpers import SCREENSHOTS, base_url, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def _status_of(page) -> str:
    return await page.get_attribute("#d-status", "data-status")


async def test_ticket_without_a_call_moves_through_its_statuses(controller, new_page):
    number = f"0907{uuid.uuid4().int % 10**6:06d}"
    page = await new_page()
    await sign_in(page, controller, "1012")
    await page.click("#nav-tickets")
    await page.wait_for_url("**/tickets")
    await page.fill("#new-number", number)
    await page.select_option("#new-branch", "4")
    await page.fill("#new-category", "Tụ tập đông người")
    await page.fill("#new-summary", "Quán karaoke mở cửa sau 22 giờ, phường Dịch Vọng.")
    await page.click("#new-submit")
    await page.wait_for_selector("#detail:not([hidden])")
    assert await _status_of(page) == "open"
    ticket_id = int(await page.text_content("#d-id"))

    await page.fill("#search-q", number)
    await page.click("#search-submit")
    await page.wait_for_selector(f"#ticket-rows tr >> text={number}")
    assert await page.locator("#ticket-rows tr").count() == 1

    await page.select_option("#move-status", "forwarded")
    await page.click("#move-submit")
    await page.wait_for_function("() => document.getElementById('move-error').textContent !== ''")
    assert "agency" in await page.text_content("#move-error")     # forwarding names the agency
    await page.fill("#move-agency", "Công an phường Dịch Vọng")
    await page.fill("#move-note", "đã gọi công an phường")
    await page.click("#move-submit")
    await page.wait_for_function("() => document.getElementById('d-status').dataset.status === 'forwarded'")
    for status in ("verified", "closed"):
        await page.select_option("#move-status", status)
        await page.click("#move-submit")
        await page.wait_for_function("s => document.getElementById('d-status').dataset.status === s", arg=status)
    history = await page.locator("#history-rows tr").all_inner_texts()
    assert len(history) == 4 and all("1012" in h for h in history), history
    assert await page.text_content("#d-agency") == "Công an phường Dịch Vọng"
    await page.screenshot(path=str(SCREENSHOTS / "tickets-vi.png"), full_page=True)

    base = base_url(controller)
    async with aiohttp.ClientSession() as http:
        tokens = {}
        for ext in ("1014", "2001"):
            async with http.post(base + "/api/v1/auth/login", json={"username": ext, "password": f"demo{ext}"}) as r:
                tokens[ext] = (await r.json())["token"]
        async with http.get(f"{base}/api/v1/tickets/{ticket_id}",
                            headers={"Authorization": f"Bearer {tokens['1014']}"}) as r:
            assert r.status == 403
        async with http.post(f"{base}/api/v1/tickets/{ticket_id}/status", json={"status": "open"},
                             headers={"Authorization": f"Bearer {tokens['1014']}"}) as r:
            assert r.status == 403
        async with http.get(f"{base}/api/v1/tickets/{ticket_id}",
                            headers={"Authorization": f"Bearer {tokens['2001']}"}) as r:
            body = await r.json()
            assert r.status == 200 and [h["status"] for h in body["history"]] == [
                "open", "forwarded", "verified", "closed"]
        async with http.post(f"{base}/api/v1/tickets/{ticket_id}/status", json={"status": "verified"},
                             headers={"Authorization": f"Bearer {tokens['2001']}"}) as r:
            assert r.status == 409                         # closed → verified is not a move
