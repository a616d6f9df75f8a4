"""Issue 14 in headless Chromium: an SMS request on the agents' written-requests page shows its channel
and, once claimed, the calls from the citizen's number; at 1366×768 and 390×844."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.e2e.console_helpers import SCREENSHOTS
from tests.e2e.test_console_reports import console, sign_in  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

I18N = json.loads((Path(__file__).resolve().parents[2] / "agent_console" / "static" / "i18n.json").read_text())["vi"]
AGENT = "1004"           # cdc


async def test_an_sms_request_shows_its_channel_and_the_citizens_calls(console, new_page):  # noqa: F811
    base, pool = console
    phone = f"091{random.randrange(10**7):07d}"
    code = "".join(random.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8))
    ticket_id = await pool.fetchval(
        """INSERT INTO tickets (caller_number, branch, category, status, summary, created_by, channel, tracking_code,
                                claimed_by, claimed_at)
           VALUES ($1, 2, 'cdc', 'open', 'CDC <b>xin</b> lịch tiêm mũi 3', 'sms', 'sms', $2, $3, now()) RETURNING id""",
        phone, code, AGENT)
    await pool.execute("INSERT INTO ticket_events (ticket_id, by, status, note) VALUES ($1, 'sms', 'open', '')", ticket_id)
    await pool.execute("""INSERT INTO calls (linkedid, caller_number, started_at, branch, queue, outcome)
                          VALUES ($1, $2, now() - interval '2 hours', 2, 'cdc', 'answered')""", f"e2e-{code}", phone)
    for width, height, name in ((1366, 768, "written-sms-desktop.png"), (390, 844, "written-sms-phone.png")):
        page = await new_page(width=width, height=height)
        await sign_in(page, base, AGENT)
        await page.goto(base + "/written")
        await page.click(f'#wr-rows tr[data-code="{code}"]')
        await page.wait_for_selector("#d-calls li")
        assert await page.text_content("#d-channel") == I18N["rp.ch.sms"]
        assert await page.text_content("#reply-hint") == I18N["wr.reply_hint_sms"]
        assert await page.text_content("#d-text") == "CDC <b>xin</b> lịch tiêm mũi 3"          # shown as text
        calls = await page.eval_on_selector_all("#d-calls li", "ls => ls.map(l => l.textContent)")
        assert len(calls) == 1 and I18N["call.answered"] in calls[0] and I18N["queue.cdc"] in calls[0]
        await page.locator("#wr-detail").scroll_into_view_if_needed()
        await page.screenshot(path=str(SCREENSHOTS / name))
