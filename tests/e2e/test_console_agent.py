"""Issue 5: the agent's console in a real browser (headless Chromium) against the controller
in-process, a real Asterisk and PostgreSQL.

The caller is a Local channel that dials 1022 and presses 3 (doctors' branch); the agent is
logged in on a Local interface (Local/<ext>@test-agent/n) that answers and talks TEST_TALK_S
seconds. The screen-pop latency is the time from the AMI AgentCalled event reaching the
controller to the caller's number appearing in the page's DOM (both clocks: this machine's).
"""
from __future__ import annotations

import time

import pytest

from db.written_requests import PortalLimits, WrittenRequest, submit
from tests.e2e.console_helpers import (
    SCREENSHOTS,
    WATCH_POP,
    new_number,
    queues_loaded,
    release_agent,
    sign_in,
    until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]



async def test_agent_takes_a_call_with_screen_pop_and_wrap_up(controller, calls, new_page):
    ext, number = "1011", new_number()
    service = controller.agents
    service.use_interface(ext, "Local/1011@test-agent/n")
    await queues_loaded(controller)
    await calls.set_global("TEST_TALK_S", "3")
    called_at: list[float] = []
    controller.ami.subscribe(lambda e: called_at.append(time.time())
                             if e.get("Event") == "AgentCalled" and e.get("MemberName") == ext else None)
    page = await new_page()
    try:
        await sign_in(page, controller, ext)
        # The first state message can come a moment after the live feed opens (the page also loads its phone).
        await page.wait_for_function("() => document.getElementById('my-state').textContent !== '—'")
        assert await page.text_content("#my-state") == "Chưa vào hàng đợi"
        await page.click("#btn-login")
        await page.wait_for_selector('#my-state[data-state="ready"]')
        assert await page.text_content("#my-state") == "Sẵn sàng"
        await page.evaluate(WATCH_POP, number)
        # The same citizen wrote to the portal earlier: the pop lists that open request with its tracking code.
        code, _ = await submit(calls.pool, WrittenRequest(number, 3, "Hỏi bác sĩ", "<b>Con tôi sốt</b>", "Dân", "Ba Đình"),
                               remote_addr="127.0.0.9", limits=PortalLimits(60, 10, 10, 60))

        await calls.caller("3", number, name="Nguyễn Văn Dân")
        await page.wait_for_function("() => window.__popShownAt !== null", timeout=30_000)
        shown_at = await page.evaluate("window.__popShownAt") / 1000
        assert called_at, "no AgentCalled event for the agent"
        latency = shown_at - called_at[0]
        print(f"screen pop latency: {latency * 1000:.0f} ms after AgentCalled")
        # No speed goal here (a functional test on a loaded machine): the pop must come, after its
        # AgentCalled, within the wait above. The goal is `make bench`'s event_to_websocket_ms (p99 100 ms).
        assert latency >= 0, latency
        assert "Thầy thuốc đồng hành" in await page.text_content("#pop-branch")
        assert await page.text_content("#pop-name") == "Nguyễn Văn Dân"
        assert "Phím 3" in await page.text_content("#pop-path")       # the caller's IVR path so far
        assert " en" not in await page.text_content("#pop-path") and " vi " not in await page.text_content("#pop-path")
        assert " · · " not in await page.text_content("#pop-calls") and not (
            await page.text_content("#pop-calls")).strip().endswith("·")
        await page.wait_for_function("c => document.getElementById('pop-requests').textContent.includes(c)", arg=code)
        requests = await page.eval_on_selector_all("#pop-requests li", "ls => ls.map(l => l.textContent)")
        assert requests == [f"Cổng thông tin · {code} · Hỏi bác sĩ · Mới"], requests
        await page.screenshot(path=str(SCREENSHOTS / "agent-pop-vi.png"), full_page=True)

        # After hang-up: wrap-up is required, Ready is not offered until the form is in.
        await page.wait_for_selector("#wrapup:not([hidden])", timeout=20_000)
        assert await page.get_attribute("#my-state", "data-state") == "wrap_up"
        assert await page.is_disabled("#btn-ready") and await page.is_disabled("#btn-pause")
        # The wrap-up countdown: what is left of the controller's limit (IVR_WRAPUP_LIMIT, 120 s here), ticking down.
        await page.wait_for_selector('#my-timer[data-timer="wrap_up"]')
        assert await page.text_content("#my-timer-label") == "Thời gian còn lại để hoàn tất"
        first = await page.text_content("#my-timer-value")
        left = lambda text: int(text.split(":")[0]) * 60 + int(text.split(":")[1])  # noqa: E731
        assert 100 <= left(first) <= controller.settings.wrapup_limit_s == 120, first
        await page.wait_for_function("v => document.getElementById('my-timer-value').textContent !== v", arg=first)
        assert left(await page.text_content("#my-timer-value")) < left(first)
        linkedid = service.state(ext).linkedid
        await page.select_option("#wrap-category", "f0_care")
        await page.select_option("#wrap-outcome", "forwarded")
        await page.fill("#wrap-notes", "F0 tại nhà cần bác sĩ gọi lại; chuyển trạm y tế phường.")
        await page.click("#wrap-submit")
        assert await page.text_content("#wrap-error") == "Cần chọn cơ quan khi chuyển tiếp."
        assert service.state(ext).state == "wrap_up"
        # the directory's active entries serving branch 3 (the doctors), not those of branch 4 only
        offered = await page.eval_on_selector_all("#wrap-agency option", "os => os.map(o => o.textContent)")
        assert "Trạm y tế phường Láng Hạ" in offered and "UBND phường" not in offered, offered
        await page.select_option("#wrap-agency", label="Trạm y tế phường Láng Hạ")
        await page.screenshot(path=str(SCREENSHOTS / "agent-wrapup-vi.png"), full_page=True)
        await page.click("#wrap-submit")
        await page.wait_for_selector('#my-state[data-state="ready"]')
        assert service.state(ext).state == "ready"
        ticket = await calls.pool.fetchrow("SELECT * FROM tickets WHERE linkedid = $1", linkedid)
        assert (ticket["status"], ticket["category"], ticket["agency"], ticket["caller_number"], ticket["branch"]) == (
            "forwarded", "Hỗ trợ F0 tại nhà", "Trạm y tế phường Láng Hạ", number, 3)
        assert (await page.text_content("#wrap-saved")).endswith(str(ticket["id"]))

        # My recent calls list the call; I count as a free agent again; then the same view in English.
        await until(lambda: page.locator("#call-rows tr", has_text=number).count(), 15, "the call in my calls")
        doctors_row = page.locator("#queue-rows tr", has_text="Thầy thuốc")
        await until(_free_agents_at_least(doctors_row, 1), 10, "me counted as a free agent")
        await page.screenshot(path=str(SCREENSHOTS / "agent-vi.png"), full_page=True)
        await page.click("#lang-toggle")
        await page.wait_for_selector('html[lang="en"]')
        assert await page.text_content("#my-state") == "Ready"
        await page.screenshot(path=str(SCREENSHOTS / "agent-en.png"), full_page=True)
        await page.reload()
        await page.wait_for_selector("#live-status.on")
        assert await page.text_content("#btn-login") == "Join queues"   # the choice is remembered
        await page.click("#lang-toggle")
    finally:
        await release_agent(controller, ext, [number])


def _free_agents_at_least(row, count: int):
    async def check() -> bool:
        cells = await row.locator("td").all_text_contents()
        return bool(cells) and cells[-1].strip().isdigit() and int(cells[-1]) >= count
    return check
