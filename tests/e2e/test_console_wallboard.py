"""Issue 16: the wallboard read from across the room, in a real browser against the controller
in-process, a real Asterisk and PostgreSQL.

The live-calls panel shows a caller in the menu, one waiting and one talking to agent 1011 (Local
channels through the test Asterisk), with the callers' numbers, a hostile caller name as text; the
longest wait turns amber, then red, as it passes IVR_WALL_WAIT_WARN / _ALARM (a controller of its
own with limits of 3 and 7 s); the large-screen mode has no controls.
"""
from __future__ import annotations

import pytest

from tests.e2e.console_helpers import SCREENSHOTS, base_url, new_number, queues_loaded, release_agent, sign_in
from tests.fixtures.asterisk import free_port
from tests.fixtures.controller import CallDriver, hangup_callers

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]
AGENT, SUPERVISOR = "1011", "2001"
HOSTILE = "<img src=x onerror=window.__xss=1>"


async def silent_caller(controller, number: str) -> None:
    """A caller who dials 1022 and presses nothing: the menu, then its repeat (about 40 s)."""
    await controller.ami.send("Originate", Channel="Local/s@test-silent/n", Context="from-trunk", Exten="1022",
                              Priority="1", CallerID=number, Async="true")


def call_in(column: str, number: str) -> str:
    return f'#calls-{column} li.call:has(span.caller:text-is("{number}"))'


async def test_live_calls_show_the_menu_the_queue_and_the_agent(controller, calls, new_page):
    talking, waiting, in_menu = new_number(), new_number(), new_number()
    service = controller.agents
    service.use_interface(AGENT, f"Local/{AGENT}@test-agent/n")
    await queues_loaded(controller)
    await calls.set_global("TEST_TALK_S", "30")
    page = await new_page(width=1366, height=768)
    try:
        await sign_in(page, controller, SUPERVISOR, landing="supervisor")
        await service.login(AGENT)
        await calls.caller("3", talking, name="Trần Văn Đàm Thoại")
        await calls.caller("4", waiting, name=HOSTILE)          # nobody serves violations: the caller waits
        await silent_caller(controller, in_menu)

        await page.wait_for_selector(call_in("talking", talking), timeout=30_000)
        await page.wait_for_selector(call_in("waiting", waiting), timeout=30_000)
        await page.wait_for_selector(call_in("menu", in_menu), timeout=30_000)
        row = call_in("talking", talking)
        assert await page.text_content(f"{row} .detail") == f"{AGENT} · " + (await agent_name(page, AGENT))
        assert await page.text_content(f"{row} .caller-name") == "Trần Văn Đàm Thoại"
        row = call_in("waiting", waiting)
        assert await page.text_content(f"{row} .detail") == "Phản ánh vi phạm"
        assert await page.text_content(f"{row} .caller-name") == HOSTILE       # the markup, as characters
        assert await page.evaluate("() => document.querySelectorAll('#live-calls img').length") == 0
        # The wait ticks in the browser, from when the caller joined the queue.
        since = f'li[data-linkedid="{await page.get_attribute(row, "data-linkedid")}"] .since'
        first = await page.text_content(since)
        await page.wait_for_function("([sel, first]) => document.querySelector(sel).textContent !== first",
                                     arg=[since, first])
        assert int(await page.text_content('[data-count="waiting"]')) >= 1
        assert int(await page.text_content('#wall-summary .tile[data-queue="all"] dd[data-field="waiting"]')) >= 1
        assert await page.text_content('#wall-summary .tile[data-queue="115"] h3') == "Cấp cứu 115 hôm nay"
        await page.screenshot(path=str(SCREENSHOTS / "supervisor-live-calls-vi.png"), full_page=True)

        # The same on a phone, and on the large screen (no controls, larger type).
        phone = await new_page(width=390, height=844)
        await sign_in(phone, controller, SUPERVISOR, landing="supervisor")
        await phone.wait_for_selector(call_in("waiting", waiting))
        assert await phone.evaluate("() => document.documentElement.scrollWidth") <= 390
        await phone.screenshot(path=str(SCREENSHOTS / "supervisor-live-calls-phone-vi.png"), full_page=True)
        await page.goto(base_url(controller) + "/supervisor?wall=1")
        await page.wait_for_selector(call_in("waiting", waiting))
        await page.wait_for_selector(f'#agent-rows tr[data-ext="{AGENT}"]')
        assert await page.evaluate("() => document.querySelectorAll('main button, main select, main input').length") == 0
        assert await page.locator("#signout").is_hidden()      # only links remain: language, leave the large screen
        assert await page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)") >= 20
        await page.screenshot(path=str(SCREENSHOTS / "supervisor-wall-vi.png"), full_page=True)
        assert await page.evaluate("() => typeof window.__xss") == "undefined"
    finally:
        await hangup_callers(controller, waiting)
        await hangup_callers(controller, in_menu)
        await hangup_callers(controller, talking)
        await release_agent(controller, AGENT, [talking])
        await calls.set_global("TEST_TALK_S", "3")


async def agent_name(page, ext: str) -> str:
    return await page.text_content(f'#agent-rows tr[data-ext="{ext}"] td:nth-child(2)')


async def test_the_longest_wait_turns_amber_then_red_past_its_limits(make_controller, db_pool, new_page):
    # Its own FastAGI port: the session's controller may be listening on the instance's one.
    board = await make_controller(agi_port=free_port(), wall_wait_warn_s=3, wall_wait_alarm_s=7)
    number = new_number()
    page = await new_page(width=1366, height=768)
    longest = '#queue-tiles .tile[data-queue="violations"] dd[data-field="longest"]'
    try:
        await queues_loaded(board)
        await sign_in(page, board, SUPERVISOR, landing="supervisor")
        await page.wait_for_selector(longest)
        assert await page.get_attribute(longest, "data-level") == ""
        await CallDriver(board, db_pool).caller("4", number)
        row = call_in("waiting", number)
        await page.wait_for_selector(row, timeout=30_000)
        await page.wait_for_selector(f'{longest}[data-level="warn"]', timeout=15_000)
        tile = '#queue-tiles .tile[data-queue="violations"]'
        assert await page.evaluate(f"() => getComputedStyle(document.querySelector('{longest}')).backgroundColor") \
            == "rgb(255, 241, 194)"
        await page.wait_for_selector(f'{longest}[data-level="alarm"]', timeout=15_000)
        assert await page.get_attribute(tile, "data-level") == "alarm"
        # The caller's own line ticks from the tracker's join time, the tile from Asterisk's Wait: a second apart at most.
        await page.wait_for_selector(f'{row} .since[data-level="alarm"]', timeout=5_000)
        assert await page.get_attribute('#wall-summary .tile[data-queue="all"] dd[data-field="longest"]',
                                        "data-level") == "alarm"
        assert await page.evaluate(f"() => getComputedStyle(document.querySelector('{longest}')).backgroundColor") \
            == "rgb(180, 35, 24)"
        await page.screenshot(path=str(SCREENSHOTS / "supervisor-threshold-vi.png"), full_page=True)
    finally:
        await page.close()          # before its controller stops: a fetch to a stopped server is a page error
        await hangup_callers(board, number)
        await board.stop()
