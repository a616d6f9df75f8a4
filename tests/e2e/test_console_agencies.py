"""The admins' agency directory page (/agencies) in headless Chromium, on a database of its own with
the demo people and agencies: an admin adds an entry with the form, a name already taken (case and
diacritics aside) shows the API's error and adds nothing, a transfer number is set (one with spaces refused)
and cleared, the entry is edited and deactivated; only
admins reach the page; it fits 390 px; screenshots at 1366x768 and 390x844."""
from __future__ import annotations

import secrets
from typing import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio
from aiohttp import web

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from db.demo import DEMO_AGENCIES, load_demo_data
from db.migrate import migrate
from tests.e2e.console_helpers import SCREENSHOTS
from tests.e2e.test_console_reports import sign_in
from tests.ports import free_port
from tests.fixtures.console import AllUp

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def console(pg_cluster) -> AsyncIterator[tuple[str, asyncpg.Pool]]:
    name = f"ivr1022_agency_page_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    pool = await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=4)
    await migrate(pool)
    await load_demo_data(pool)
    runner = web.AppRunner(init_app(ConsoleConfig(), lambda: pool, AllUp()))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", pool
    finally:
        await runner.cleanup()
        await pool.close()


async def _row_names(page) -> list[str]:
    return await page.eval_on_selector_all("#ag-rows tr td:first-child", "tds => tds.map(td => td.textContent)")


async def test_an_admin_keeps_the_directory_from_the_page(console, new_page):
    base, pool = console
    supervisor = await new_page()
    await sign_in(supervisor, base, "2001")
    assert (await supervisor.goto(base + "/agencies")).status == 403
    await supervisor.goto(base + "/supervisor")
    assert await supervisor.is_hidden("#nav-agencies")

    page = await new_page(width=1366, height=768)
    await sign_in(page, base, "9001")
    await page.click("#nav-agencies")
    await page.wait_for_url("**/agencies")
    await page.wait_for_selector("#ag-rows tr")
    assert sorted(await _row_names(page)) == sorted(name for name, _c, _b in DEMO_AGENCIES)

    await page.fill("#ag-name", "Ban quản lý chợ Đồng Xuân")
    await page.fill("#ag-contact", "024 3828 0000")
    await page.check('input[name="ag-branch"][value="4"]')
    # A transfer number with spaces: refused before anything is sent.
    await page.fill("#ag-phone", "024 3828 0000")
    await page.click("#ag-save")
    await page.wait_for_function("() => document.getElementById('ag-error').textContent.startsWith('Số điện thoại chỉ gồm')")
    assert await pool.fetchval("SELECT count(*) FROM agencies WHERE name = 'Ban quản lý chợ Đồng Xuân'") == 0
    await page.fill("#ag-phone", "02438280000")
    await page.click("#ag-save")
    await page.wait_for_selector('#ag-rows tr td:text-is("Ban quản lý chợ Đồng Xuân")')
    row = await pool.fetchrow("SELECT id, contact, phone, branches, active FROM agencies WHERE name = 'Ban quản lý chợ Đồng Xuân'")
    assert (row["contact"], row["phone"], list(row["branches"]), row["active"]) == (
        "024 3828 0000", "02438280000", [4], True)
    assert await page.text_content(f'#ag-rows tr[data-id="{row["id"]}"] td[data-field="phone"]') == "02438280000"
    assert await page.text_content(f'#ag-rows tr[data-id="{row["id"]}"] td:nth-child(4)') == "Phản ánh vi phạm"

    # The same name in capitals without diacritics: the API's 409, said in Vietnamese; nothing added.
    count = await pool.fetchval("SELECT count(*) FROM agencies")
    await page.fill("#ag-name", "BAN QUAN LY CHO DONG XUAN")
    await page.check('input[name="ag-branch"][value="4"]')
    await page.click("#ag-save")
    await page.wait_for_function("() => document.getElementById('ag-error').textContent.startsWith('Đã có cơ quan trùng tên')")
    assert await pool.fetchval("SELECT count(*) FROM agencies") == count
    # No branch chosen: refused before anything is sent.
    await page.fill("#ag-name", "Sở Xây dựng")
    await page.uncheck('input[name="ag-branch"][value="4"]')
    await page.click("#ag-save")
    await page.wait_for_function("() => document.getElementById('ag-error').textContent.startsWith('Chọn ít nhất một nhánh')")
    assert await pool.fetchval("SELECT count(*) FROM agencies") == count
    await page.screenshot(path=str(SCREENSHOTS / "agencies-1366x768.png"), full_page=True)

    # Edit: the form takes the row's values; then deactivate from the list.
    await page.click(f'#ag-rows tr[data-id="{row["id"]}"] button[data-action="ag.edit"]')
    assert await page.input_value("#ag-name") == "Ban quản lý chợ Đồng Xuân"
    assert await page.input_value("#ag-phone") == "02438280000"
    await page.check('input[name="ag-branch"][value="2"]')
    await page.fill("#ag-phone", "")                       # blank clears it: no transfer to this entry
    await page.click("#ag-save")
    await page.wait_for_function("() => document.getElementById('ag-status').textContent.startsWith('Đã lưu')")
    edited = await pool.fetchrow("SELECT branches, phone FROM agencies WHERE id = $1", row["id"])
    assert (list(edited["branches"]), edited["phone"]) == ([2, 4], None)
    assert await page.text_content(f'#ag-rows tr[data-id="{row["id"]}"] td[data-field="phone"]') == ""
    await page.click(f'#ag-rows tr[data-id="{row["id"]}"] button[data-action="ag.deactivate"]')
    await page.wait_for_selector(f'#ag-rows tr.inactive[data-id="{row["id"]}"]')
    assert await page.text_content(f'#ag-rows tr[data-id="{row["id"]}"] td[data-field="active"]') == "Ngừng hoạt động"
    assert await pool.fetchval("SELECT active FROM agencies WHERE id = $1", row["id"]) is False
    actions = await pool.fetch("SELECT action, by FROM agency_changes WHERE agency_id = $1 ORDER BY id", row["id"])
    assert [(a["action"], a["by"]) for a in actions] == [("create", "9001"), ("edit", "9001"), ("edit", "9001")]


async def test_the_directory_page_fits_a_phone(console, new_page):
    base, _pool = console
    page = await new_page(width=390, height=844)
    await sign_in(page, base, "9001")
    await page.goto(base + "/agencies")
    await page.wait_for_selector("#ag-rows tr")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.screenshot(path=str(SCREENSHOTS / "agencies-390x844.png"), full_page=True)
