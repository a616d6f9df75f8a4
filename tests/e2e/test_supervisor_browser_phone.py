"""Issue 15: a supervisor whispers and barges from the wallboard with the browser phone.

Supervisor 2001 signs in to /supervisor in a Chromium whose microphone plays PHONE_TONE_HZ (1000 Hz); the
page's own phone registers (endpoint 2001-web). Agent 1001's desk phone is a sipp UA, a sipp caller presses 2.
The test clicks the agent's *Nhắc nhỏ* (whisper) or *Tham gia* (barge) button: the wallboard asks for the
browser phone ({"phone": "browser"}), the card rings, the test clicks *Trả lời*, and the supervisor speaks for a
few seconds.

What a party hears is measured as in tests/integration/test_whisper_barge.py: the party's phone echoes every
RTP packet back (sipp -rtp_echo) and a MixMonitor r() on its channel records what it was sent. Whisper: the
agent's ear holds the supervisor's tone, the caller's does not; barge: the caller's does too. The audit log
has the row with its mode and the outcome `answered`.
"""
from __future__ import annotations

import pytest

from db.agents import sip_credential
from tests.e2e.console_helpers import SCREENSHOTS, base_url, hangup_callers, new_number, queues_loaded, release_agent
from tests.fixtures.browser import PHONE_TONE_HZ
from tests.integration.test_whisper_barge import QUIET_HZ, channel_of, levels_of
from tests.sipp import SippRunner
from tests.waiting import until

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

AGENT, SUPERVISOR = "1001", "2001"
CALLER_HZ, AGENT_DESK_HZ = 440, 1700        # the browser (the supervisor) speaks PHONE_TONE_HZ
# The browser's own audio processing brings its tone down to about 0.05 (tests/e2e/test_webrtc_phone.py); a tone
# nobody sent measures 0.00005-0.0013.
HEARD, NOT_HEARD = 0.01, 0.005


@pytest.fixture
async def wallboard(phone_browser, controller):
    context = await phone_browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    errors: list[str] = []
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(base_url(controller) + "/")
    await page.fill("#ext", SUPERVISOR)
    await page.fill("#password", f"demo{SUPERVISOR}")
    await page.click("#login-submit")
    await page.wait_for_url("**/supervisor")
    yield page
    await context.close()
    assert not errors, f"JavaScript errors on the wallboard: {errors}"


def assert_heard(levels: dict[float, float], hz: int, heard: bool, what: str) -> None:
    floor = max(levels[q] for q in QUIET_HZ)
    if heard:
        assert levels[hz] > max(HEARD, 10 * floor), f"{what} is not heard: {levels}"
    else:
        assert levels[hz] < NOT_HEARD, f"{what} is heard: {levels}"


@pytest.mark.parametrize(("mode", "ear"), [("whisper", "agent"), ("whisper", "caller"), ("barge", "caller")])
async def test_the_supervisor_speaks_into_a_call_from_the_wallboard_with_the_browser_phone(
        controller, telephony, calls, db_pool, wallboard, ear_folder, mode, ear):
    page, service, number = wallboard, controller.agents, new_number()
    await queues_loaded(controller)
    await page.wait_for_selector('#phone-reg[data-reg="registered"]', timeout=30_000)
    inside, host = ear_folder
    async with SippRunner(telephony.options.sip_port) as sipp:
        agent_phone = await sipp.start_agent(AGENT, await sip_credential(db_pool, AGENT), talk_s=25, timeout=60,
                                             echo=ear == "agent", tone_hz=None if ear == "agent" else AGENT_DESK_HZ)
        try:
            await service.login(AGENT, phone="desk")
            caller = await sipp.sipp_call("2", hold_s=45, caller=number, echo=ear == "caller",
                                          tone_hz=CALLER_HZ if ear == "agent" else None)
            await until(lambda: service.state(AGENT).state == "on_call", 30, f"the caller answered by {AGENT}")
            linkedid = service.state(AGENT).linkedid
            channel = await channel_of(controller, linkedid, caller=ear == "caller")
            await controller.ami.send("MixMonitor", Channel=channel, File=f"{inside}/both.wav",
                                      Options=f"r({inside}/back.wav)")
            button = f'#agent-rows tr[data-ext="{AGENT}"] .act-{mode}'
            await page.wait_for_selector(f"{button}:enabled", timeout=15_000)
            await page.click(button)
            await page.wait_for_selector('#phone[data-phone="ringing"]', timeout=20_000)
            await page.click("#phone-answer")
            await page.wait_for_selector('#phone[data-phone="on_call"]', timeout=20_000)
            start = await page.evaluate("() => window.Phone.elapsed()")
            await page.wait_for_function(f"() => window.Phone.elapsed() >= {start + 5}", timeout=20_000)
            if mode == "whisper" and ear == "agent":
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(SCREENSHOTS / "supervisor-whisper-browser-1366.png"))
            await page.click("#phone-hangup")
            await page.wait_for_selector('#phone[data-phone="idle"]', timeout=10_000)
            await controller.ami.send("StopMixMonitor", Channel=channel)
            heard = await levels_of(host / "back.wav")
            print(f"{mode} from the browser, the {ear}'s phone heard {heard}")
            assert_heard(heard, PHONE_TONE_HZ, ear == "agent" or mode == "barge", f"the supervisor, by the {ear}")
            row = await db_pool.fetchrow("SELECT * FROM live_listen_log WHERE linkedid = $1", linkedid)
            assert (row["mode"], row["agent_ext"], row["listener_ext"]) == (mode, AGENT, SUPERVISOR), dict(row)
            results = await until(lambda: db_pool.fetch(
                "SELECT result FROM live_listen_outcomes WHERE listen_id = $1 ORDER BY id", row["id"]), 15,
                "the listen's outcomes")
            assert results[0]["result"] == "answered", [dict(r) for r in results]
            await hangup_callers(controller, number)              # the call ends: both sipp UAs see a BYE
            assert await agent_phone.wait(30) == 0, agent_phone.errors()
            await caller.wait(30)
        finally:
            await release_agent(controller, AGENT, [number])
