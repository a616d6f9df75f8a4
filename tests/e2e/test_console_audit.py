"""The admins' access log page (/audit) in headless Chromium, against the controller in-process and a
real PostgreSQL: live listens with what became of them, recording accesses, Vietnamese first,
hostile stored text shown as text, and nobody but an admin reaches it."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import pytest

from db.live_listen import ListenOutcome, record_listen, write_listen_outcomes
from db.recordings import record_access
from tests.e2e.console_helpers import SCREENSHOTS, base_url, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

ADMIN, SUPERVISOR, AGENT = "9001", "2002", "1012"
HOSTILE = '<img src=x onerror="window.pwned=1">'


async def logged_listen(pool, agent: str, *outcomes: tuple[str, float], remote_addr: str = "127.0.0.1") -> int:
    listen_id = await record_listen(pool, agent_ext=agent, listener_ext=SUPERVISOR, listener_role="supervisor",
                                    linkedid=f"1796{secrets.randbelow(10**6):06d}.1", remote_addr=remote_addr)
    at = datetime.now(timezone.utc)
    async with pool.acquire() as con:
        await write_listen_outcomes(con, [ListenOutcome(listen_id, result, at + timedelta(seconds=s))
                                          for result, s in outcomes])
    return listen_id


async def test_an_admin_reads_who_listened_and_who_played_what(controller, db_pool, new_page):
    heard = await logged_listen(db_pool, "1001", ("answered", 2), ("ended", 77), remote_addr=HOSTILE)
    missed = await logged_listen(db_pool, "1002", ("no_answer", 30), ("ended", 30))
    ringing = await logged_listen(db_pool, "1003")
    linkedid = f"1796{secrets.randbelow(10**6):06d}.7"
    recording_id = await db_pool.fetchval(
        "INSERT INTO recordings (linkedid, file_name, size_bytes, duration_s, created_at)"
        " VALUES ($1, $1 || '.wav', 48044, 3.0, now()) RETURNING id", linkedid)
    access = await record_access(db_pool, {"id": recording_id, "linkedid": linkedid}, ext=SUPERVISOR,
                                 role="supervisor", action="download", remote_addr="127.0.0.1")

    # Nobody but an admin reaches the page; the link shows only to admins.
    page = await new_page()
    await sign_in(page, controller, SUPERVISOR, landing="supervisor")
    assert await page.is_hidden("#nav-audit")
    assert (await page.goto(base_url(controller) + "/audit")).status == 403
    agent_page = await new_page()
    await sign_in(agent_page, controller, AGENT)
    assert (await agent_page.goto(base_url(controller) + "/audit")).status == 403

    page = await new_page()
    await sign_in(page, controller, ADMIN, landing="supervisor")
    await page.click("#nav-audit")
    await page.wait_for_url("**/audit")
    listen_row = f'#listen-rows tr[data-id="{heard}"]'
    await page.wait_for_selector(listen_row)
    cells = await page.locator(f"{listen_row} td").all_text_contents()
    assert cells[1:] == [SUPERVISOR, "Giám sát viên", "1001", cells[4], "Đã nghe", "1:15", HOSTILE], cells
    assert await page.evaluate("() => window.pwned") is None
    assert await page.locator("#listen-rows img").count() == 0
    assert await page.text_content(f'#listen-rows tr[data-id="{missed}"] td.result') == "Không trả lời"
    assert await page.get_attribute(f'#listen-rows tr[data-id="{missed}"] td.result', "class") == "result result-missed"
    assert await page.text_content(f'#listen-rows tr[data-id="{ringing}"] td.result') == "Đang đổ chuông"
    access_cells = await page.locator(f'#access-rows tr[data-id="{access}"] td').all_text_contents()
    assert access_cells[1:] == [SUPERVISOR, "Giám sát viên", "Tải về", linkedid, "127.0.0.1"], access_cells
    await page.screenshot(path=str(SCREENSHOTS / "audit-vi.png"), full_page=False)

    await page.click("#lang-toggle")
    await page.wait_for_function(
        "sel => document.querySelector(sel)?.textContent === 'Heard'", arg=f"{listen_row} td.result")
    assert await page.text_content("h2") == "Live listening"

    # 50 newer listens fill the first page; "Xem thêm" brings the older ones.
    await db_pool.executemany(
        "INSERT INTO live_listen_log (agent_ext, listener_ext, listener_role) VALUES ('1004', $1, 'supervisor')",
        [(SUPERVISOR,)] * 50)
    await page.click("#lang-toggle")
    await page.reload()
    await page.wait_for_selector("#listen-more:not([hidden])")
    assert await page.locator(listen_row).count() == 0
    await page.click("#listen-more")
    await page.wait_for_selector(listen_row)
    assert await page.text_content(f"{listen_row} td.result") == "Đã nghe"


async def test_an_admin_sees_and_lifts_a_sip_ban(controller, db_pool, new_page):
    """A ban the SIP guard wrote (ivr/sip_guard.py) is listed on /audit and lifted with its button: the row
    keeps who lifted it, and the controller rewrites Asterisk's ACL without it."""
    ban_id = await db_pool.fetchval(
        "INSERT INTO sip_bans (address, until, failures, accounts) VALUES ('127.0.0.77', now() + interval '10 minutes',"
        " 5, $1) RETURNING id", f"1001,{HOSTILE}")
    await controller.sip_guard.apply()
    assert "deny = 127.0.0.77" in controller.sip_acl_path.read_text()
    for width, height, name in ((1366, 768, "audit-sip-bans-vi.png"), (390, 844, "audit-sip-bans-vi-phone.png")):
        page = await new_page(width, height)
        await sign_in(page, controller, ADMIN, landing="supervisor")
        await page.goto(base_url(controller) + "/audit")
        row = f'#sipban-rows tr[data-id="{ban_id}"]'
        await page.wait_for_selector(f"{row} button.lift")
        cells = await page.locator(f"{row} td").all_text_contents()
        assert cells[0] == "127.0.0.77" and cells[3:6] == ["5", f"1001,{HOSTILE}", "Đang chặn"], cells
        assert await page.evaluate("() => window.pwned") is None
        await page.locator("#sipban-rows").scroll_into_view_if_needed()
        await page.screenshot(path=str(SCREENSHOTS / name), full_page=False)

    await page.click(f"{row} button.lift")
    await page.wait_for_function("sel => document.querySelector(sel)?.textContent === 'Đã gỡ bởi 9001'",
                                 arg=f"{row} td.result")
    assert await page.locator(f"{row} button.lift").count() == 0
    lifted = await db_pool.fetchrow("SELECT lifted_by, lifted_at FROM sip_bans WHERE id = $1", ban_id)
    assert lifted["lifted_by"] == ADMIN and lifted["lifted_at"] is not None
    assert "127.0.0.77" not in (controller.sip_acl_path.read_text())
