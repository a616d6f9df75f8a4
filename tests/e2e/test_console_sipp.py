"""Issue 5 over real SIP: a sipp caller presses 3 with RFC 2833 DTMF; the agent's phone is a
sipp UA registered with digest auth as PJSIP/1008 (the demo agent's own endpoint), logged in
to the queues from the browser, whose own phone is registered too: both ring (issue 15), the desk
phone answers and the browser stops ringing. The screen pop must show the caller within a second
of the AMI AgentCalled event; after the call the wrap-up form creates the ticket and the agent is
ready again."""
from __future__ import annotations

import time

import pytest

from tests.e2e.console_helpers import (
    WATCH_POP,
    new_number,
    queues_loaded,
    release_agent,
    sign_in,
)
from tests.sipp import SippRunner
from tests.waiting import until

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]



async def test_sipp_caller_pops_on_the_sipp_agents_console(controller, telephony, calls, new_page):
    ext, number = "1008", new_number()
    sip_password = await calls.pool.fetchval("SELECT sip_password FROM agents WHERE ext = $1", ext)
    service = controller.agents
    await queues_loaded(controller)
    called_at: list[float] = []
    controller.ami.subscribe(lambda e: called_at.append(time.time())
                             if e.get("Event") == "AgentCalled" and e.get("MemberName") == ext else None)
    page = await new_page()
    async with SippRunner(telephony.options.sip_port) as sipp:
        # Registered on return; rings 5 s, so the console's browser phone is seen ringing with it.
        phone = await sipp.start_agent(ext, sip_password, talk_s=3, timeout=60, ring_s=5)
        try:
            await sign_in(page, controller, ext)
            await page.wait_for_selector('#phone-reg[data-reg="registered"]', timeout=30_000)
            await page.click("#btn-login")
            await page.wait_for_selector('#my-state[data-state="ready"]')
            # Desk and browser phone both registered: the queues ring both, the desk phone answers.
            assert service.members[ext].interface == "Local/1008@agent-phones"
            assert await page.text_content("#my-phone") == (
                "Cuộc gọi đổ chuông ở cả điện thoại bàn và trình duyệt: máy nào nghe trước sẽ nhận cuộc gọi")
            await page.evaluate(WATCH_POP, number)
            caller = await sipp.sipp_call("3", hold_s=30, caller=number, caller_name="Tran Thi Binh")
            await page.wait_for_function("() => window.__popShownAt !== null", timeout=40_000)
            latency = await page.evaluate("window.__popShownAt") / 1000 - called_at[0]
            print(f"sipp screen pop latency: {latency * 1000:.0f} ms after AgentCalled")
            # No speed goal here (a functional test on a loaded machine): the pop must come, after its
            # AgentCalled, within the wait above. The goal is `make bench`'s event_to_websocket_ms (p99 100 ms).
            assert latency >= 0, latency
            assert "Thầy thuốc đồng hành" in await page.text_content("#pop-branch")
            assert await page.text_content("#pop-name") == "Tran Thi Binh"
            await page.wait_for_selector('#phone[data-phone="ringing"]', timeout=10_000)
            await until(lambda: service.state(ext).state == "on_call", 20, "the desk phone answering")
            await page.wait_for_selector('#phone[data-phone="idle"]', timeout=10_000)   # answered elsewhere

            await page.wait_for_selector("#wrapup:not([hidden])", timeout=30_000)
            linkedid = service.state(ext).linkedid
            await page.select_option("#wrap-outcome", "resolved")
            await page.click("#wrap-submit")
            await page.wait_for_selector('#my-state[data-state="ready"]')
            ticket = await calls.pool.fetchrow("SELECT * FROM tickets WHERE linkedid = $1", linkedid)
            assert (ticket["status"], ticket["caller_number"], ticket["created_by"]) == ("closed", number, ext)
            assert await phone.wait(15) == 0, phone.errors()
            assert await caller.wait(30) == 0, caller.errors()
        finally:
            await release_agent(controller, ext, [number])
