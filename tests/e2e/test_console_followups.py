"""Issue 13 in a real browser: the abandoned-call worklist page and the surge switch, against the
controller in-process, a real Asterisk and PostgreSQL.

An abandoned caller (a Local channel that waits in `violations` and is hung up) appears on
/followups for supervisor 2001 and for agent 1012 (violations, no phone registered) on a phone-sized screen, in
Vietnamese; the agent's "Gọi" with no phone registered shows the refusal. The supervisor turns surge
mode on for the hotline with a note: the panel and the wallboard's tile say so (with the worklist's
size), and the audit row is there; then off again.
"""
from __future__ import annotations

import pytest

from tests.e2e.console_helpers import SCREENSHOTS, base_url, new_number, queues_loaded, sign_in
from tests.integration.test_followups import abandon_in_queue

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]
AGENT, SUPERVISOR = "1012", "2001"   # 1012: violations; no test registers a phone for him


def row_of(number: str) -> str:
    return f'#fu-rows tr[data-number="{number}"]'


async def test_the_worklist_and_the_surge_switch_in_the_browser(controller, calls, new_page):
    await queues_loaded(controller)
    number = new_number()
    await abandon_in_queue(controller, calls, number)
    page = await new_page(width=1366, height=768)
    phone = await new_page(width=390, height=844)
    try:
        await sign_in(page, controller, SUPERVISOR, landing="supervisor")
        await page.goto(base_url(controller) + "/followups")
        await page.wait_for_selector(row_of(number))
        assert await page.text_content(f"{row_of(number)} td:nth-child(2)") == "Phản ánh vi phạm"
        assert await page.text_content(f"{row_of(number)} button.call") == "Gọi"
        assert await page.locator("#surge-rows tr").count() == 4

        await page.fill("#surge-message", "Mưa lũ: nhiều cuộc gọi")
        await page.click('#surge-rows tr[data-scope="all"] button')
        await page.wait_for_selector('#surge-rows tr[data-scope="all"].hot')
        assert await page.text_content('#surge-rows tr[data-scope="all"] .surge-state') == "Đang bật"
        assert "2001 · Toàn đường dây · Đang bật" in await page.text_content("#surge-log li:first-child")
        row = await calls.pool.fetchrow("SELECT * FROM surge_switches ORDER BY id DESC LIMIT 1")
        assert (row["scope"], row["enabled"], row["changed_by"], row["message"]) == (
            "all", True, SUPERVISOR, "Mưa lũ: nhiều cuộc gọi")
        await page.screenshot(path=str(SCREENSHOTS / "followups-surge-vi.png"), full_page=True)

        await page.goto(base_url(controller) + "/supervisor")
        tile = '#wall-summary .tile[data-queue="followups"]'
        await page.wait_for_selector(tile)
        assert int(await page.text_content(f'{tile} dd[data-field="followups-open"]')) >= 1
        assert await page.text_content(f'{tile} dd[data-field="surge-mode"]') == "Toàn đường dây"
        await page.screenshot(path=str(SCREENSHOTS / "supervisor-followups-tile-vi.png"), full_page=False)

        await sign_in(phone, controller, AGENT)
        await phone.goto(base_url(controller) + "/followups")
        await phone.wait_for_selector(row_of(number))
        assert await phone.locator("#surge-panel").count() == 0          # the switch is for supervisors
        await phone.click(f"{row_of(number)} button.call")
        await phone.wait_for_function("() => document.getElementById('fu-error').textContent.includes('chưa đăng nhập')")
        assert await phone.evaluate("() => document.documentElement.scrollWidth") <= 390
        await phone.screenshot(path=str(SCREENSHOTS / "followups-phone-vi.png"), full_page=True)
    finally:
        await page.goto(base_url(controller) + "/followups")
        await page.click('#surge-rows tr[data-scope="all"] button')
        await page.wait_for_selector('#surge-rows tr[data-scope="all"]:not(.hot)')
        await page.close()
        await phone.close()
    assert await calls.pool.fetchval(
        "SELECT enabled FROM surge_switches WHERE scope = 'all' ORDER BY id DESC LIMIT 1") is False
