"""Issue 16, "a console for a real shift": the hotline's day, whatever the browser's clock says.

The console runs on a database of its own holding three calls made between 00:00 and 01:30 on
15/03/2031, Hanoi time — still 14/03 in UTC. The browser's clock is fixed at 01:30 Hanoi time;
with the browser on UTC (and an American locale) as on Asia/Ho_Chi_Minh, the report page's
default range ends on the hotline's today, written dd/mm/yyyy, and shows the three calls.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from db.demo import load_demo_data
from db.migrate import migrate
from tests.ports import free_port
from tests.fixtures.console import AllUp

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

UTC = timezone.utc
BROWSER_NOW = datetime(2031, 3, 14, 18, 30, tzinfo=UTC)          # 01:30 on 15/03/2031 in Hanoi
CALLS_AT = [datetime(2031, 3, 14, 17, 5, tzinfo=UTC), datetime(2031, 3, 14, 17, 40, tzinfo=UTC),
            datetime(2031, 3, 14, 18, 10, tzinfo=UTC)]            # 00:05, 00:40, 01:10 in Hanoi


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def console(pg_cluster) -> AsyncIterator[str]:
    """The console's base URL, on a database with the demo people and the three calls."""
    import asyncpg
    name = f"ivr1022_shift_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    pool = await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=4)
    await migrate(pool)
    await load_demo_data(pool)
    for n, at in enumerate(CALLS_AT):
        await pool.execute(
            "INSERT INTO calls (linkedid, caller_number, branch, queue, started_at, answered_at, ended_at, agent,"
            " wait_s, talk_s, hangup_by, outcome) VALUES ($1, $2, 2, 'cdc', $3, $4, $5, '1001', 8, 60, 'caller',"
            " 'answered')", f"shift-{n}", f"09061000{n:02d}", at, at + timedelta(seconds=8),
            at + timedelta(seconds=68))
    runner = web.AppRunner(init_app(ConsoleConfig(), lambda: pool, AllUp()))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        await pool.close()


async def sign_in_supervisor(page, base: str) -> None:
    await page.goto(base + "/login")
    await page.fill("#ext", "2001")
    await page.fill("#password", "demo2001")
    await page.click("#login-submit")
    await page.wait_for_url("**/supervisor")


@pytest.mark.parametrize("browser_zone, locale", [("UTC", "en-US"), ("Asia/Ho_Chi_Minh", "vi-VN")])
async def test_the_reports_default_range_is_the_hotlines_today(console, new_page, browser_zone, locale):
    page = await new_page(timezone_id=browser_zone, locale=locale)
    await page.clock.set_fixed_time(BROWSER_NOW)
    assert await page.evaluate("() => new Date().getDate()") == (14 if browser_zone == "UTC" else 15)
    await sign_in_supervisor(page, console)
    await page.goto(console + "/reports")
    await page.wait_for_selector('#r-days tr[data-day="2031-03-15"]')
    assert await page.input_value("#r-to") == "15/03/2031"
    assert await page.input_value("#r-from") == "09/03/2031"
    assert await page.text_content("#r-zone") == "Asia/Ho_Chi_Minh"
    assert await page.text_content('#r-totals dd[data-field="received"]') == "3"
    assert await page.text_content('#r-days tr[data-day="2031-03-15"] td[data-field="received"]') == "3"
    assert await page.text_content('#r-days tr[data-day="2031-03-15"] td:first-child') == "15/03/2031"
    assert await page.text_content("#r-status") == ""
    # The CSV of that range counts the same day.
    href = await page.get_attribute("#r-csv", "href")
    assert "from=2031-03-09&to=2031-03-15" in href


async def test_a_date_not_written_dd_mm_yyyy_is_refused_on_the_page(console, new_page):
    page = await new_page(timezone_id="UTC")
    await page.clock.set_fixed_time(BROWSER_NOW)
    await sign_in_supervisor(page, console)
    await page.goto(console + "/reports")
    await page.wait_for_selector('#r-days tr[data-day="2031-03-15"]')
    await page.fill("#r-from", "31/02/2031")
    await page.click("#r-submit")
    await page.wait_for_function("() => document.getElementById('r-error').textContent !== ''")
    assert await page.text_content("#r-error") == "Nhập ngày theo dạng dd/mm/yyyy."
    await page.fill("#r-from", "14/3/2031")
    await page.click("#r-submit")
    await page.wait_for_function("() => document.getElementById('r-error').textContent === ''")
    await page.wait_for_selector('#r-days tr[data-day="2031-03-14"]')
