"""The supervisors' keep-place callbacks page (/callbacks) in headless Chromium, against the controller
in-process and a real PostgreSQL: Vietnamese first, the states and linked calls, a filter, an agent
refused; screenshots at 1366×768 and 390×844."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import pytest

from db.callbacks import NewRequest, create_request, finish_attempt, start_attempt
from ivr.ami.client import AmiActionFailed
from tests.e2e.console_helpers import SCREENSHOTS, base_url, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

SUPERVISOR, AGENT = "2002", "1012"


def a_number() -> str:
    return f"0966{secrets.randbelow(10**6):06d}"


async def some_callbacks(pool) -> tuple[dict, dict]:
    def new(number: str, branch: int, queue: str, language: str) -> NewRequest:
        return NewRequest(number=number, branch=branch, queue=queue, language=language, priority=0,
                          place_at=datetime.now(timezone.utc) - timedelta(minutes=3), queue_position=1,
                          original_linkedid=f"1796{secrets.randbelow(10**6):06d}.1")
    reached, _ = await create_request(pool, new(a_number(), 2, "cdc", "vi"))
    attempt = await start_attempt(pool, reached["id"], "1003", f"cb-{reached['id']}-1")
    await finish_attempt(pool, attempt, "answered", max_attempts=3, retry_delay_s=60)
    waiting, _ = await create_request(pool, new(a_number(), 4, "violations", "en"))
    return dict(reached), dict(waiting)


async def cancel_waiting(controller, pool, request_id: int) -> None:
    """Cleanup: the session's controller keeps a placeholder in line for every waiting request (it places
    them on each AMI (re)connect), and a placeholder in `violations` rings the next test's ready agent
    there (tests/e2e/test_webrtc_phone.py's 1005: the cut phone was never paused, the card never idle)."""
    await pool.execute("UPDATE callback_requests SET state = 'cancelled' WHERE id = $1 AND state = 'waiting'",
                       request_id)
    channel = controller.callbacks.placeholders.get(request_id)
    if channel:
        try:
            await controller.ami.send("Hangup", Channel=channel)   # not re-placed: the row is cancelled
        except AmiActionFailed:
            pass                                                    # already gone


@pytest.fixture
async def callbacks_rows(controller, db_pool):
    reached, waiting = await some_callbacks(db_pool)
    yield reached, waiting
    await cancel_waiting(controller, db_pool, waiting["id"])


async def test_a_supervisor_sees_the_callbacks_and_an_agent_does_not(controller, callbacks_rows, new_page):
    reached, waiting = callbacks_rows
    agent_page = await new_page()
    await sign_in(agent_page, controller, AGENT)
    assert (await agent_page.goto(base_url(controller) + "/callbacks")).status == 403

    for width, height in ((1366, 768), (390, 844)):
        page = await new_page(width, height)
        await sign_in(page, controller, SUPERVISOR, landing="supervisor")
        await page.click("#nav-callbacks")
        await page.wait_for_url("**/callbacks")
        row = f'#cb-rows tr[data-id="{reached["id"]}"]'
        await page.wait_for_selector(row)
        cells = await page.locator(f"{row} td").all_text_contents()
        assert cells[1:7] == [reached["number"], "2 · Trung tâm Kiểm soát bệnh tật (CDC)",
                              "Tiếng Việt", "Đã gặp", "1", "1003"], cells
        assert cells[7] == f"{reached['original_linkedid']}, cb-{reached['id']}-1"
        other = await page.locator(f'#cb-rows tr[data-id="{waiting["id"]}"] td').all_text_contents()
        assert other[3:5] == ["Tiếng Anh", "Đang giữ lượt"], other
        await page.screenshot(path=str(SCREENSHOTS / f"callbacks-{width}x{height}.png"), full_page=True)
    # The filter asks the API for one state only.
    await page.select_option("#cb-state", "connected")
    await page.wait_for_function(
        "() => [...document.querySelectorAll('#cb-rows tr')].every(tr => tr.dataset.state === 'connected')")
    assert await page.locator(f'#cb-rows tr[data-id="{waiting["id"]}"]').count() == 0


async def test_the_agents_screen_pop_says_it_is_a_callback(controller, new_page):
    """The controller's live message when a callback's placeholder reaches the agent (ivr/callbacks/
    service.py: _announce) is drawn on the agent's page: number, branch, language, how long ago."""
    asked = (datetime.now(timezone.utc) - timedelta(minutes=4)).isoformat()
    for width, height in ((1366, 768), (390, 844)):
        page = await new_page(width, height)
        await sign_in(page, controller, AGENT)
        await page.wait_for_function("() => window.I18N && document.querySelector('#my-state')")
        message = {"type": "callback", "ext": AGENT, "request_id": 7, "number": "0966000777", "branch": 3,
                   "language": "en", "state": "dialling", "requested_at": asked, "attempts": 1,
                   "original_linkedid": "1796000000.7"}
        await until_shown(page, controller, message)
        assert await page.is_visible("#pop-callback")
        info = await page.text_content("#pop-callback-info")
        assert info == "0966000777 — 3 · Mạng lưới Thầy thuốc đồng hành — Tiếng Anh — 4 phút trước — Đang gọi", info
        assert await page.text_content("#pop-number") == "0966000777"
        await page.screenshot(path=str(SCREENSHOTS / f"agent-callback-{width}x{height}.png"), full_page=False)


async def until_shown(page, controller, message) -> None:
    """Publish until the page (its WebSocket connected by now or soon) shows the pop."""
    for _ in range(50):
        controller.live.publish(message)
        try:
            await page.wait_for_selector("#pop-callback-info:not([hidden])", timeout=200)
            return
        except Exception:       # not connected yet: publish again
            continue
    raise AssertionError("the callback never showed on the agent's page")
