"""Issue 14 on the report page in headless Chromium: the "received by channel" table shows the API's
phone / web / SMS split by day and in total, on a desktop and a phone screen."""
from __future__ import annotations

from datetime import datetime

import pytest

from db.reports import summary
from tests.e2e.console_helpers import SCREENSHOTS
from tests.e2e.test_console_reports import END, START, TZ, console, sign_in  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

DAY = datetime(2021, 9, 3, 10, 0, tzinfo=START.tzinfo)


async def test_the_report_page_splits_received_by_channel(console, new_page):  # noqa: F811
    base, pool = console
    await pool.executemany(
        """INSERT INTO tickets (channel, branch, category, status, created_by, created_at, updated_at)
           VALUES ($1, 2, 'x', 'open', 'test', $2, $2)""",
        [("web", DAY), ("web", DAY), ("sms", DAY), ("sms", DAY), ("sms", DAY)])
    want = await summary(pool, start=START, end=END, tz=TZ)
    day = next(d for d in want["by_day"] if d["day"] == "2021-09-03")
    assert day["by_channel"]["web"] >= 2 and day["by_channel"]["sms"] >= 3

    for width, height, name in ((1366, 768, "reports-channels-desktop.png"), (390, 844, "reports-channels-phone.png")):
        page = await new_page(width=width, height=height)
        await sign_in(page, base, "2001")
        await page.goto(base + "/reports")
        await page.fill("#r-from", "01/09/2021")
        await page.fill("#r-to", "07/09/2021")
        await page.click("#r-submit")
        await page.wait_for_selector('#r-channels tr[data-day="2021-09-03"]')
        shown = {f: await page.text_content(f'#r-channels tr[data-day="2021-09-03"] td[data-field="{f}"]')
                 for f in ("phone", "web", "sms", "received")}
        assert shown == {**{k: f"{v:,}".replace(",", ".") for k, v in day["by_channel"].items()},
                         "received": f"{day['received']:,}".replace(",", ".")}
        total = {f: await page.text_content(f'#r-channels tr[data-day=""] td[data-field="{f}"]')
                 for f in ("phone", "web", "sms", "received")}
        totals = want["totals"]
        assert total["received"] == f"{totals['received']:,}".replace(",", ".")
        assert sum(int(total[k].replace(".", "")) for k in ("phone", "web", "sms")) == totals["received"]
        await page.locator("#r-channels").scroll_into_view_if_needed()
        await page.screenshot(path=str(SCREENSHOTS / name))
