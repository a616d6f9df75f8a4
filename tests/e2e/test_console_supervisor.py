"""Issue 6: the supervisor's wallboard in a real browser (headless Chromium) against the controller
in-process, a real Asterisk and PostgreSQL.

Agent 1011 is logged in through the API on a Local interface (Local/1011@test-agent/n) and takes a
Local-channel call (key 3); the supervisor's page follows it to wrap-up and back to ready live,
pauses the agent from the page, and plays the call's recording (audited). Another agent gets 403;
the agent who took the call plays it from his own page (audited).
"""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from tests.e2e.console_helpers import SCREENSHOTS, base_url, new_number, queues_loaded, release_agent, sign_in
from tests.waiting import until

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]
# OTHER_AGENT must not be 1015: test_console_security locks 1015 out of sign-in for 5 minutes.
AGENT, OTHER_AGENT, SUPERVISOR, ADMIN = "1011", "1013", "2001", "9001"


class Api:
    """The REST API as several signed-in users (bearer tokens); answers (status, json-or-bytes)."""

    def __init__(self, session: aiohttp.ClientSession, base: str):
        self._session, self._base, self._tokens = session, base, {}

    async def call(self, method: str, path: str, as_ext: str, body=None):
        if as_ext not in self._tokens:
            async with self._session.post(f"{self._base}/api/v1/auth/login",
                                          json={"username": as_ext, "password": f"demo{as_ext}"}) as resp:
                assert resp.status == 200, await resp.text()
                self._tokens[as_ext] = (await resp.json())["token"]
        async with self._session.request(method, self._base + path, json=body,
                                         headers={"Authorization": f"Bearer {self._tokens[as_ext]}"}) as resp:
            data = await resp.read()
            if resp.content_type == "application/json":
                return resp.status, await resp.json()
            return resp.status, data


async def sign_in_supervisor(page, controller) -> None:
    await page.goto(base_url(controller) + "/")
    await page.fill("#ext", SUPERVISOR)
    await page.fill("#password", f"demo{SUPERVISOR}")
    await page.click("#login-submit")
    await page.wait_for_url("**/supervisor")
    await page.wait_for_selector("#live-status.on")


def state_of(ext: str) -> str:
    return f'#agent-rows tr[data-ext="{ext}"] .state-label'


async def test_supervisor_wallboard_follows_pauses_and_plays_a_recording(controller, calls, new_page):
    number = new_number()
    service = controller.agents
    service.use_interface(AGENT, f"Local/{AGENT}@test-agent/n")
    await queues_loaded(controller)
    await calls.set_global("TEST_TALK_S", "2")
    page = await new_page()
    async with aiohttp.ClientSession() as session:
        api = Api(session, base_url(controller))
        try:
            # The wallboard API: supervisors only.
            assert (await api.call("GET", "/api/v1/wallboard", AGENT))[0] == 403
            status, board = await api.call("GET", "/api/v1/wallboard", SUPERVISOR)
            assert status == 200, board
            assert {"doctors", "cdc"} <= {q["queue"] for q in board["queues"]}
            assert {"waiting", "longest_wait_s", "answered", "abandoned", "service_level"} <= set(board["queues"][0])
            hanoi_today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
            assert (board["today"], board["timezone"]) == (hanoi_today.isoformat(), "Asia/Ho_Chi_Minh")
            answered_before = next(q["answered"] for q in board["queues"] if q["queue"] == "doctors")

            await sign_in_supervisor(page, controller)
            await page.wait_for_selector('#queue-tiles .tile[data-queue="doctors"]')
            assert await page.text_content('#queue-tiles .tile[data-queue="doctors"] h3') == "Mạng lưới Thầy thuốc đồng hành"
            assert await page.text_content("#sup-today") == hanoi_today.strftime("%d/%m/%Y")

            status, body = await api.call("POST", f"/api/v1/agents/{AGENT}/login", AGENT)
            assert (status, body["state"]) == (200, "ready"), body
            await page.wait_for_selector(f'{state_of(AGENT)}[data-state="ready"]')

            await calls.caller("3", number, name="Trần Thị Giám Sát")
            await page.wait_for_selector(f'{state_of(AGENT)}[data-state="wrap_up"]', timeout=30_000)
            assert await page.text_content(state_of(AGENT)) == "Hoàn tất cuộc gọi"
            # Time in state ticks every second without any message.
            cell = f'#agent-rows tr[data-ext="{AGENT}"] td.in-state'
            first = await page.text_content(cell)
            await page.wait_for_function(
                "([sel, first]) => document.querySelector(sel).textContent !== first", arg=[cell, first])
            linkedid = service.state(AGENT).linkedid

            status, body = await api.call("POST", f"/api/v1/calls/{linkedid}/wrapup", AGENT,
                                          {"category": "Hỗ trợ F0 tại nhà", "outcome": "resolved",
                                           "notes": "Đã hướng dẫn."})
            assert status == 200, body
            await page.wait_for_selector(f'{state_of(AGENT)}[data-state="ready"]')
            # Today's answered count grows (refetch on agent/queue messages or every 5 s).
            await page.wait_for_function(
                "n => Number(document.querySelector('#queue-tiles .tile[data-queue=\"doctors\"] "
                "dd[data-field=answered]').textContent) > n", arg=answered_before, timeout=15_000)

            # Pause from the page, with a reason.
            await page.select_option("#sup-pause-reason", "họp giao ban")
            await page.click(f'#agent-rows tr[data-ext="{AGENT}"] button.act-pause')
            await page.wait_for_selector(f'{state_of(AGENT)}[data-state="paused"]')
            assert (service.state(AGENT).state, service.state(AGENT).reason) == ("paused", "họp giao ban")
            assert "họp giao ban" in await page.text_content(f'#agent-rows tr[data-ext="{AGENT}"]')

            # Play the call's recording from the recent calls.
            await until(lambda: calls.pool.fetchrow("SELECT id FROM recordings WHERE linkedid = $1", linkedid),
                        30, "recording indexed")
            recording_id = (await calls.pool.fetchrow("SELECT id FROM recordings WHERE linkedid = $1",
                                                      linkedid))["id"]
            row = page.locator(f'#rec-calls tr[data-linkedid="{linkedid}"]')
            await until(row.count, 15, "the call in the recent calls")
            async with page.expect_response(lambda r: r.url.endswith(f"/api/v1/recordings/{recording_id}")) as info:
                await row.click()
            assert (await info.value).status in (200, 206)
            await page.wait_for_function("() => document.getElementById('rec-audio').readyState >= 1",
                                         timeout=15_000)
            # The player names the call by its time (dd/mm/yyyy, Hanoi) and number, not by its linkedid.
            await page.wait_for_function("n => document.getElementById('rec-playing').textContent.endsWith(' · ' + n)",
                                         arg=number)
            playing = await page.text_content("#rec-playing")
            assert re.fullmatch(r"Đang phát cuộc gọi \d\d/\d\d/\d{4} \d\d:\d\d:\d\d · " + number, playing), playing
            status, audit = await api.call("GET", "/api/v1/audit/recordings?limit=50", ADMIN)
            assert status == 200, audit
            assert any((a["linkedid"], a["ext"], a["role"], a["action"]) == (linkedid, SUPERVISOR, "supervisor", "play")
                       for a in audit["accesses"]), audit
            # Another agent may not play it.
            assert (await api.call("GET", f"/api/v1/recordings/{recording_id}", OTHER_AGENT))[0] == 403

            # The agent who took the call hears it again from his own recent calls (audited too).
            agent_page = await new_page()
            await sign_in(agent_page, controller, AGENT)
            play = agent_page.locator(f'#call-rows tr[data-linkedid="{linkedid}"] button.act-play')
            await until(play.count, 15, "the play button on the agent's own call")
            assert await play.text_content() == "Nghe lại"
            async with agent_page.expect_response(
                    lambda r: r.url.endswith(f"/api/v1/recordings/{recording_id}")) as info:
                await play.click()
            assert (await info.value).status in (200, 206)
            await agent_page.wait_for_function("() => document.getElementById('rec-audio').readyState >= 1",
                                               timeout=15_000)
            status, audit = await api.call("GET", "/api/v1/audit/recordings?limit=50", ADMIN)
            assert any((a["linkedid"], a["ext"], a["role"], a["action"]) == (linkedid, AGENT, "agent", "play")
                       for a in audit["accesses"]), audit
            await agent_page.screenshot(path=str(SCREENSHOTS / "agent-recording-vi.png"), full_page=True)
            await page.screenshot(path=str(SCREENSHOTS / "supervisor-vi.png"), full_page=True)

            # Sign the agent out of the queues from the page.
            await page.click(f'#agent-rows tr[data-ext="{AGENT}"] button.act-logout')
            await page.wait_for_selector(f'{state_of(AGENT)}[data-state="logged_out"]')
            assert service.state(AGENT).state == "logged_out"
        finally:
            if service.state(AGENT).state == "paused":
                await service.logout(AGENT)
            await release_agent(controller, AGENT, [number])


async def test_the_supervisor_sees_what_became_of_his_own_listen(controller, new_page):
    """The controller's AMI handler turns Asterisk's OriginateResponse / Hangup of a listening channel
    into a live message (the real-Asterisk path is tests/integration/test_live_listen.py); here the
    page shows the listener his own outcome, in Vietnamese, and never another supervisor's."""
    page = await new_page()
    await sign_in_supervisor(page, controller)
    # Every text the two status lines ever show, so a message shown and then replaced is seen too.
    await page.evaluate("""() => { window.shown = [];
        const note = (m) => window.shown.push(m.target.textContent);
        const observer = new MutationObserver((ms) => ms.forEach(note));
        for (const id of ['sup-status', 'sup-error'])
            observer.observe(document.getElementById(id), {childList: true, characterData: true, subtree: true}); }""")

    def asterisk_says(listener: str, agent: str, **fields: str) -> None:
        controller.events.dispatch({"Event": "OriginateResponse", "Channel": f"PJSIP/{listener}",
                                "Context": "supervisor-listen", "Exten": agent,
                                "Uniqueid": f"listen-{listener}-{agent}-987654", **fields})

    asterisk_says("2002", OTHER_AGENT, Response="Failure", Reason="3")      # another supervisor's listen
    asterisk_says(SUPERVISOR, AGENT, Response="Failure", Reason="3")
    await page.wait_for_function("() => document.getElementById('sup-error').textContent !== ''")
    assert await page.text_content("#sup-error") == (
        f"Điện thoại của bạn không trả lời, chưa nghe được cuộc gọi của {AGENT}")
    assert await page.text_content("#sup-status") == ""

    asterisk_says(SUPERVISOR, AGENT, Response="Success", Reason="4")
    await page.wait_for_function("() => document.getElementById('sup-status').textContent !== ''")
    assert await page.text_content("#sup-status") == f"Đang nghe trực tiếp cuộc gọi của {AGENT}"
    assert await page.text_content("#sup-error") == ""
    await page.screenshot(path=str(SCREENSHOTS / "supervisor-listening-vi.png"), full_page=False)

    controller.events.dispatch({"Event": "Hangup", "Uniqueid": f"listen-{SUPERVISOR}-{AGENT}-987654"})
    await page.wait_for_function(
        "() => document.getElementById('sup-status').textContent.startsWith('Đã kết thúc')")
    assert await page.text_content("#sup-status") == f"Đã kết thúc nghe cuộc gọi của {AGENT}"
    shown = await page.evaluate("() => window.shown")
    assert shown and not any(OTHER_AGENT in text for text in shown), shown
