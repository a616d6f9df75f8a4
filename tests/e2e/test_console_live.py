"""Issue 5: live updates in the browser — waiting counts follow callers joining and leaving, and
a caller ID holding markup is shown as text (no script runs)."""
from __future__ import annotations

import pytest

from agent_console.keys import SOCKETS
from tests.e2e.console_helpers import (
    new_number,
    queues_loaded,
    release_agent,
    sign_in,
)
from tests.fixtures.controller import hangup_callers

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

_WAITING = '#queue-rows tr[data-queue="violations"] td.waiting'


async def test_waiting_count_rises_and_falls_live(controller, calls, new_page):
    await queues_loaded(controller)
    first, second = new_number(), new_number()
    page = await new_page()
    await sign_in(page, controller, "1013")
    await page.wait_for_selector(_WAITING)
    assert await page.text_content(_WAITING) == "0"
    seen: list[str] = []
    await page.expose_function("__waiting", lambda text: seen.append(text))
    await page.evaluate("""sel => new MutationObserver(() => {
        const cell = document.querySelector(sel); if (cell) window.__waiting(cell.textContent);
      }).observe(document.getElementById('queue-rows'), {childList: true, subtree: true})""", _WAITING)
    try:
        await calls.caller("4", first)      # nobody serves violations now: callers wait (joinempty)
        await page.wait_for_function("([sel, n]) => document.querySelector(sel).textContent === n", arg=[_WAITING, "1"], timeout=20_000)
        await calls.caller("4", second)
        await page.wait_for_function("([sel, n]) => document.querySelector(sel).textContent === n", arg=[_WAITING, "2"], timeout=20_000)
        assert await calls.queue_waiting("violations") == 2
    finally:
        await hangup_callers(controller, first)
    await page.wait_for_function("([sel, n]) => document.querySelector(sel).textContent === n", arg=[_WAITING, "1"], timeout=10_000)
    await hangup_callers(controller, second)
    await page.wait_for_function("([sel, n]) => document.querySelector(sel).textContent === n", arg=[_WAITING, "0"], timeout=10_000)
    # The counts came from the WebSocket as they happened, in order, without reloading the page.
    changes = [v for i, v in enumerate(seen) if i == 0 or seen[i - 1] != v]
    assert changes[-4:] == ["1", "2", "1", "0"], changes


async def test_caller_id_with_markup_is_shown_as_text(controller, calls, new_page):
    ext, number = "1011", new_number()
    name = "<script>window.__xss=1</script><img src=x onerror=window.__xss=2>"
    service = controller.agents
    service.use_interface(ext, "Local/1011@test-agent/n")
    await queues_loaded(controller)
    await calls.set_global("TEST_TALK_S", "2")
    page = await new_page()
    try:
        await sign_in(page, controller, ext)
        await page.click("#btn-login")
        await page.wait_for_selector('#my-state[data-state="ready"]')
        await calls.caller("3", number, name=name)
        await page.wait_for_function("n => document.getElementById('pop-number').textContent === n", arg=number,
                                     timeout=30_000)
        shown = await page.text_content("#pop-name")
        assert "<script>" in shown and "onerror" in shown, shown      # the markup, as characters
        assert await page.evaluate("() => document.querySelectorAll('#screen-pop script, #screen-pop img').length") == 0
        assert await page.evaluate("() => typeof window.__xss") == "undefined"
    finally:
        await release_agent(controller, ext, [number])
    assert await page.evaluate("() => typeof window.__xss") == "undefined"


async def test_page_reconnects_and_refetches_after_the_socket_drops(controller, new_page):
    ext = "1009"
    service = controller.agents
    service.use_interface(ext, "Local/1009@test-agent/n")
    await queues_loaded(controller)
    page = await new_page()
    await sign_in(page, controller, ext)
    await page.wait_for_selector('#my-state[data-state="logged_out"]')
    app = controller.console.app
    try:
        for ws in list(app[SOCKETS]):         # the server drops every console socket
            await ws.close()
        await page.wait_for_selector("#live-status.off")
        await service.login(ext)               # changed while the page is disconnected
        await page.wait_for_selector("#live-status.on", timeout=10_000)
        await page.wait_for_selector('#my-state[data-state="ready"]', timeout=10_000)
        assert len(app[SOCKETS]) >= 1
    finally:
        if service.state(ext).logged_in:
            await service.logout(ext)
