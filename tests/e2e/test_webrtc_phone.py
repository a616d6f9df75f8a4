"""Issue 15: the browser phone. Agent 1001 signs in to the console in a Chromium whose microphone plays
a 1000 Hz tone; the console registers over WebRTC through its own proxied WebSocket. 1001's desk phone is
taken off first, for real: other tests register it with sipp and the contact outlives them, and logging in
("auto") would pick it; a REGISTER `Contact: *`, `Expires: 0` removes it, and AMI PJSIPShowContacts must then
list the WebSocket contact alone. A sipp caller presses 2 and speaks a 440 Hz tone; the browser rings, the
test clicks Answer (*Trả lời*), both sides talk, and the call's MixMonitor recording holds both tones
(measured by frequency). Then the phone's WebSocket is cut: the console shows it and keeps *Sẵn sàng* off
with the reason, the ACD pauses the agent `phone-offline` and makes them ready again when the phone is back;
a pause of the agent's own outlives a cut, with Ready off until the phone is back. With a desk phone registered
too, both ring and the first to answer takes the call. Last, blind transfers."""
from __future__ import annotations

import pytest

from contracts.phones import PHONE_OFFLINE_REASON
from db.agents import sip_credential
from ivr.ami.client import AmiActionFailed
from tests.e2e.console_helpers import SCREENSHOTS, base_url, new_number, queues_loaded, release_agent
from tests.fixtures.browser import PHONE_TONE_HZ
from tests.sipp import SippRunner
from tests.tones import tone_levels
from tests.waiting import until

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

CALLER_TONE_HZ = 440
QUIET_HZ = (700, 1500)            # nobody plays these: the recording's floor
# Amplitude (of 1) above which a tone is there. Both are sent at 0.5; the browser's own audio processing
# (noise suppression, gain control: on, as for agents) brings a steady tone down to about 0.05. With no
# media at all the recording has about 0.0006 at 1000 Hz (µ-law noise of the caller's 440 Hz).
HEARD = 0.01
# The agent (cdc, emergency). Other tests leave a sipp desk phone registered for 1001 (sipp never
# unregisters; pjsip keeps the contact, remove_existing = no) and logging in ("auto") picks a registered desk
# phone first: `remove_desk_phones` takes every desk contact of 1001 off before the agent signs in.
EXT = "1001"
WEB_AOR = f"{EXT}-web"
READY_NEEDS_PHONE = "Điện thoại trình duyệt chưa đăng ký: chưa thể Sẵn sàng"


class PhoneLine:
    """The browser phone's WebSocket, routed through Playwright: passed to the console as it is, until
    `cut()` closes it at both ends and refuses the phone's reconnections; `restore()` lets them in."""

    def __init__(self) -> None:
        self.cut_off = False
        self.open: list[tuple] = []

    async def route(self, socket) -> None:
        if self.cut_off:
            await socket.close(code=1011, reason="cut by the test")
            return
        self.open.append((socket, socket.connect_to_server()))

    async def cut(self) -> None:
        self.cut_off = True
        for socket, server in self.open:
            await server.close(code=1011, reason="cut by the test")
            await socket.close(code=1011, reason="cut by the test")
        self.open.clear()

    def restore(self) -> None:
        self.cut_off = False


@pytest.fixture
def phone_line() -> PhoneLine:
    return PhoneLine()


async def remove_desk_phones(sipp: SippRunner, password: str) -> None:
    """Every desk-phone contact of EXT off Asterisk, whoever left it (REGISTER Contact: *, Expires: 0)."""
    run = await sipp.unregister_all(EXT, password)
    assert (run.returncode, run.responses()[-1:]) == (0, ["200"]), run.errors()


@pytest.fixture
async def phone_page(phone_browser, controller, telephony, db_pool, phone_line):
    async with SippRunner(telephony.options.sip_port) as sipp:
        await remove_desk_phones(sipp, await sip_credential(db_pool, EXT))
    context = await phone_browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    errors: list[str] = []
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.route_web_socket("**/api/v1/phone/ws", phone_line.route)
    await page.goto(base_url(controller) + "/")
    await page.fill("#ext", EXT)
    await page.fill("#password", f"demo{EXT}")
    await page.click("#login-submit")
    await page.wait_for_url("**/agent")
    yield page
    await context.close()
    assert not errors, f"JavaScript errors on the agent's page: {errors}"


async def contacts_of_ext(controller) -> list[tuple[str, str]]:
    """(AOR, URI) of every contact Asterisk has for EXT's two phones, desk (AOR <ext>) and browser (<ext>-web);
    a ContactList's ObjectName is <aor>;@<hash>."""
    try:
        contacts = await controller.ami.collect("PJSIPShowContacts")
    except AmiActionFailed:          # "No Contacts found"
        return []
    found = [(c.get("ObjectName", "").split(";@")[0], c.get("Uri", "")) for c in contacts]
    return [(aor, uri) for aor, uri in found if aor in (EXT, WEB_AOR)]


async def ws_contact(controller) -> str | None:
    """The URI of the browser phone's WebSocket contact, or None."""
    return next((uri for aor, uri in await contacts_of_ext(controller) if aor == WEB_AOR and "transport=ws" in uri),
                None)


async def only_the_browser_phone(controller) -> None:
    """Before logging in: PJSIPShowContacts lists EXT's WebSocket contact and nothing else (no desk phone)."""
    uri = await until(lambda: ws_contact(controller), 15, f"a WebSocket contact for {WEB_AOR}")
    assert await contacts_of_ext(controller) == [(WEB_AOR, uri)]


async def ready_button(page) -> tuple[bool, bool]:
    """What the agent sees of Sẵn sàng: (enabled, the reason it is off shown beside it)."""
    enabled = await page.is_enabled("#btn-ready")
    reason = await page.is_visible("#ready-blocked")
    if reason:
        assert await page.text_content("#ready-blocked") == READY_NEEDS_PHONE
    return enabled, reason


async def shot(page, name: str, *, phone_width: bool = False) -> None:
    """phone-<name>-1366.png; with phone_width also phone-<name>-390.png (390×844, then back to 1366×768)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"phone-{name}-1366.png"))
    if phone_width:
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.screenshot(path=str(SCREENSHOTS / f"phone-{name}-390.png"))
        await page.set_viewport_size({"width": 1366, "height": 768})


async def test_browser_phone_registers_rings_answers_and_carries_audio_both_ways(
        controller, telephony, calls, db_pool, phone_page):
    page, service, number = phone_page, controller.agents, new_number()
    await queues_loaded(controller)
    await page.wait_for_selector('#phone-reg[data-reg="registered"]', timeout=30_000)
    password = await sip_credential(db_pool, EXT)
    async with SippRunner(telephony.options.sip_port) as sipp:
        # What another test leaves: a desk phone of 1001 (refused when one is registered already: max_contacts 1).
        await sipp.register_from("127.0.0.1", EXT, password)
        assert [aor for aor, _ in await contacts_of_ext(controller)].count(EXT) == 1
        await remove_desk_phones(sipp, password)
    await only_the_browser_phone(controller)
    await shot(page, "idle", phone_width=True)
    await page.click("#btn-login")
    await page.wait_for_selector('#my-state[data-state="ready"]')
    assert service.members[EXT].interface == f"PJSIP/{EXT}-web"
    try:
        async with SippRunner(telephony.options.sip_port) as sipp:
            caller = await sipp.sipp_call("2", hold_s=60, caller=number, tone_hz=CALLER_TONE_HZ)
            await page.wait_for_selector('#phone[data-phone="ringing"]', timeout=40_000)
            await page.wait_for_function(f"() => document.getElementById('pop-number').textContent === '{number}'")
            assert await page.text_content("#phone-answer") == "Trả lời"
            await shot(page, "ringing")
            await page.click("#phone-answer")
            await page.wait_for_selector('#phone[data-phone="on_call"]', timeout=20_000)
            await until(lambda: service.state(EXT).state == "on_call", 15, f"{EXT} on the call")
            linkedid = service.state(EXT).linkedid
            await _talk(page, seconds=4)
            await shot(page, "on-call", phone_width=True)
            await page.click("#phone-hold")
            await page.wait_for_selector('#phone[data-phone="on_hold"]', timeout=10_000)
            await shot(page, "on-hold")
            await page.click("#phone-hold")
            await page.wait_for_selector('#phone[data-phone="on_call"]', timeout=10_000)
            await _talk(page, seconds=7)
            await page.click("#phone-hangup")
            await page.wait_for_selector('#phone[data-phone="idle"]', timeout=10_000)
            await page.wait_for_selector("#wrapup:not([hidden])", timeout=20_000)
            await page.select_option("#wrap-outcome", "answered")
            await page.click("#wrap-submit")
            await page.wait_for_selector('#my-state[data-state="ready"]')
            assert await caller.wait(30) == 0, caller.errors()
        record = await calls.record(number)
        assert (record["agent"], record["outcome"]) == (EXT, "answered"), dict(record)
        assert record["wait_s"] is not None and record["talk_s"] >= 8, dict(record)
        recording = telephony.recordings_dir / f"{linkedid}.wav"
        await until(recording.exists, 15, f"the recording {recording}")
        levels = tone_levels(recording, (CALLER_TONE_HZ, PHONE_TONE_HZ, *QUIET_HZ))
        floor = max(levels[hz] for hz in QUIET_HZ)
        print(f"recording tone levels: {levels}")
        assert levels[CALLER_TONE_HZ] > max(HEARD, 10 * floor), f"the caller's tone is not in the recording: {levels}"
        assert levels[PHONE_TONE_HZ] > max(HEARD, 10 * floor), f"the browser's tone is not in the recording: {levels}"
    finally:
        await release_agent(controller, EXT, [number])


async def test_both_phones_ring_at_once_and_the_browser_answering_takes_the_call(
        controller, telephony, calls, db_pool, phone_page):
    """The desk phone registered as well: logging in ("auto") rings both (the member Local/1001@agent-phones);
    the desk phone rings with the browser, the browser answers, the desk phone is cancelled; the call is 1001's
    and its recording holds both tones (queue-answered ran on the browser's channel)."""
    page, service, number = phone_page, controller.agents, new_number()
    await queues_loaded(controller)
    await page.wait_for_selector('#phone-reg[data-reg="registered"]', timeout=30_000)
    password = await sip_credential(db_pool, EXT)
    try:
        async with SippRunner(telephony.options.sip_port) as sipp:
            desk = await sipp.start_ringing_phone(EXT, password, calls=1, timeout=90)
            await page.click("#btn-login")
            await page.wait_for_selector('#my-state[data-state="ready"]')
            assert service.members[EXT].interface == f"Local/{EXT}@agent-phones"
            assert await page.get_attribute("#my-phone", "data-phone") == "both"
            assert await member_status(controller) == ("hint:1001@agent-phones", "1")     # not in use
            caller = await sipp.sipp_call("2", hold_s=60, caller=number, tone_hz=CALLER_TONE_HZ)
            await page.wait_for_selector('#phone[data-phone="ringing"]', timeout=40_000)
            await until(lambda: [m for m in desk.messages() if not m.sent and m.first_line.startswith("INVITE ")],
                        10, "the desk phone ringing with the browser")
            await shot(page, "ringing-both")
            linkedid = await answer_in_browser(page, service)
            # In use while either phone is: app_queue offers the agent nothing more.
            assert await until(lambda: _in_use(controller), 10, "the member in use") == ("hint:1001@agent-phones", "2")
            # The Local channel is optimized out: the caller and the browser are bridged directly (REFER, ChanSpy).
            await until(lambda: _no_member_channels(controller), 15, "the agent-phones Local channel optimized out")
            assert await desk.wait(20) == 0, desk.errors()          # INVITE, 180, CANCEL, 487: never answered
            assert [m.first_line.split()[0] for m in desk.messages() if not m.sent][:2] == ["INVITE", "CANCEL"]
            await _talk(page, seconds=6)
            await page.click("#phone-hangup")
            await page.wait_for_selector("#wrapup:not([hidden])", timeout=20_000)
            await page.select_option("#wrap-outcome", "answered")
            await page.click("#wrap-submit")
            await page.wait_for_selector('#my-state[data-state="ready"]')
            assert await caller.wait(30) == 0, caller.errors()
        record = await calls.record(number)
        assert (record["agent"], record["outcome"]) == (EXT, "answered"), dict(record)
        recording = telephony.recordings_dir / f"{linkedid}.wav"
        await until(recording.exists, 15, f"the recording {recording}")
        levels = tone_levels(recording, (CALLER_TONE_HZ, PHONE_TONE_HZ, *QUIET_HZ))
        floor = max(levels[hz] for hz in QUIET_HZ)
        assert min(levels[CALLER_TONE_HZ], levels[PHONE_TONE_HZ]) > max(HEARD, 10 * floor), levels
    finally:
        await release_agent(controller, EXT, [number])


async def member_status(controller) -> tuple[str, str]:
    """(StateInterface, Status) of EXT's membership of cdc, as app_queue has it (Status 1: not in use, 2: in use)."""
    members = [e for e in await controller.ami.collect("QueueStatus", Queue="cdc")
               if e.get("Event") == "QueueMember" and e.get("Name") == EXT]
    assert len(members) == 1, members
    return members[0].get("StateInterface", ""), members[0].get("Status", "")


async def _no_member_channels(controller) -> bool:
    channels = [c.get("Channel", "") for c in await controller.ami.collect("CoreShowChannels")]
    return not [c for c in channels if c.startswith(f"Local/{EXT}@agent-phones-")]


async def _in_use(controller) -> tuple[str, str] | None:
    status = await member_status(controller)
    return status if status[1] == "2" else None


async def test_a_cut_websocket_pauses_the_agent_phone_offline_until_the_phone_is_back(controller, phone_page,
                                                                                      phone_line):
    page, service = phone_page, controller.agents
    await queues_loaded(controller)
    await page.wait_for_selector('#phone-reg[data-reg="registered"]', timeout=30_000)
    await only_the_browser_phone(controller)
    await page.click("#btn-login")
    await page.wait_for_selector('#my-state[data-state="ready"]')
    assert service.members[EXT].interface == f"PJSIP/{WEB_AOR}"
    try:
        await phone_line.cut()           # and the phone cannot come back by itself meanwhile
        await page.wait_for_selector('#phone-reg[data-reg="reconnecting"]', timeout=5_000)
        await until(lambda: service.state(EXT).state == "paused"
                    and service.state(EXT).reason == PHONE_OFFLINE_REASON, 15, f"{EXT} paused phone-offline")
        await page.wait_for_selector('#my-state[data-state="paused"]')
        assert await page.text_content("#my-reason") == "điện thoại trình duyệt mất kết nối"
        assert await ready_button(page) == (False, True)
        assert not await ws_contact(controller)
        await shot(page, "offline", phone_width=True)
        phone_line.restore()
        await page.wait_for_selector('#phone-reg[data-reg="registered"]', timeout=30_000)
        await until(lambda: service.state(EXT).state == "ready", 15, f"{EXT} ready again")
        await page.wait_for_selector('#my-state[data-state="ready"]')
        assert await ready_button(page) == (False, False)        # ready already: nothing to press
        await _own_pause_outlives_a_cut(page, service, phone_line)
    finally:
        phone_line.restore()
        await release_agent(controller, EXT, [])


async def _own_pause_outlives_a_cut(page, service, phone_line) -> None:
    """Paused for a meeting, the agent may press Ready; the phone cut, the pause stays (the ACD leaves a pause of
    the agent's own alone) but Ready is off with the reason; the phone back, Ready is on and makes them ready."""
    await page.select_option("#pause-reason", "họp giao ban")
    await page.click("#btn-pause")
    await page.wait_for_selector('#my-state[data-state="paused"]')
    assert await ready_button(page) == (True, False)
    await phone_line.cut()
    await page.wait_for_selector('#phone-reg[data-reg="reconnecting"]', timeout=5_000)
    await page.wait_for_selector("#btn-ready:disabled")
    assert await ready_button(page) == (False, True)
    assert (service.state(EXT).state, service.state(EXT).reason) == ("paused", "họp giao ban")
    phone_line.restore()
    await page.wait_for_selector('#phone-reg[data-reg="registered"]', timeout=30_000)
    await page.wait_for_selector("#btn-ready:enabled")
    assert await ready_button(page) == (True, False)
    assert (service.state(EXT).state, service.state(EXT).reason) == ("paused", "họp giao ban")
    await page.click("#btn-ready")
    await page.wait_for_selector('#my-state[data-state="ready"]')
    assert service.state(EXT).state == "ready"


async def _talk(page, seconds: int) -> None:
    """The call timer must show `seconds` more than it does now (the call goes on; no fixed sleep)."""
    start = await page.evaluate("() => window.Phone.elapsed()")
    await page.wait_for_function(f"() => window.Phone.elapsed() >= {start + seconds}", timeout=(seconds + 10) * 1000)


async def test_blind_transfer_from_the_card_sends_the_caller_to_another_branch_queue(
        controller, telephony, calls, phone_page):
    page, service, number = phone_page, controller.agents, new_number()
    await queues_loaded(controller)
    await page.wait_for_selector('#phone-reg[data-reg="registered"]', timeout=30_000)
    await only_the_browser_phone(controller)
    await page.click("#btn-login")
    await page.wait_for_selector('#my-state[data-state="ready"]')
    assert service.members[EXT].interface == f"PJSIP/{WEB_AOR}"
    doctors_agent = await calls.local_agent("doctors", "1003")     # answers the transferred caller
    connected: list[dict] = []
    controller.ami.subscribe(lambda e: connected.append(dict(e)) if e.get("Event") == "AgentConnect" else None)
    try:
        async with SippRunner(telephony.options.sip_port) as sipp:
            caller = await sipp.sipp_call("2", hold_s=40, caller=number)
            linkedid = await answer_in_browser(page, service)
            await page.select_option("#phone-transfer", "queue-3")
            await page.click("#phone-transfer-go")
            await page.wait_for_selector('#phone[data-phone="idle"]', timeout=20_000)
            taken = await until(lambda: [e for e in connected if e.get("Queue") == "doctors"
                                         and e.get("Linkedid") == linkedid], 30, "the doctors' agent connected")
            assert taken[0].get("MemberName") == "1003", taken
            await caller.wait(60)
    finally:
        await calls.remove_agent("doctors", doctors_agent)
        await release_agent(controller, EXT, [number])


async def answer_in_browser(page, service) -> str:
    """The card rings, the test clicks Answer, the ACD sees the agent on the call: its linkedid."""
    await page.wait_for_selector('#phone[data-phone="ringing"]', timeout=40_000)
    await page.click("#phone-answer")
    await page.wait_for_selector('#phone[data-phone="on_call"]', timeout=20_000)
    await until(lambda: service.state(EXT).state == "on_call", 15, f"{EXT} on the call")
    return service.state(EXT).linkedid


async def _transfer_refused(page, service, target: str) -> None:
    """A transfer to `target` is refused: the card says so and the caller is still with the agent."""
    await page.select_option("#phone-transfer", target)
    await page.click("#phone-transfer-go")
    await page.wait_for_function("() => document.getElementById('phone-error').textContent !== ''", timeout=15_000)
    assert await page.text_content("#phone-error") == "Không chuyển được cuộc gọi: cuộc gọi vẫn ở với bạn."
    assert await page.get_attribute("#phone", "data-phone") == "on_call"
    assert service.state(EXT).state == "on_call"


async def test_blind_transfer_to_an_agency_dials_its_directory_number_on_the_citizen_trunk(
        controller, telephony, calls, db_pool, phone_page):
    page, service, number = phone_page, controller.agents, new_number()
    suffix = number[-6:]
    agency_number = f"0243{suffix}"
    reachable, retired = [r["id"] for r in await db_pool.fetch(
        """INSERT INTO agencies (name, branches, phone, active) VALUES ($1, '{2}', $3, true), ($2, '{2}', '0243000999', true)
           RETURNING id""", f"Sở Y tế Hà Nội {suffix}", f"Trạm y tế phường {suffix}", agency_number)]
    await queues_loaded(controller)
    await page.wait_for_selector('#phone-reg[data-reg="registered"]', timeout=30_000)
    await page.click("#btn-login")
    await page.wait_for_selector('#my-state[data-state="ready"]')
    trunk_port = int(telephony.options.outbound_uri.rsplit(":", 1)[1])
    try:
        async with SippRunner(telephony.options.sip_port) as sipp:
            trunk = await sipp.start_citizen_trunk(trunk_port, hold_s=3, calls=1, timeout=120)
            caller = await sipp.sipp_call("2", hold_s=60, caller=number)
            linkedid = await answer_in_browser(page, service)
            menu = "#phone-transfer-agencies option"
            await page.wait_for_selector(f'{menu}[value="agency-{reachable}"]', state="attached", timeout=10_000)
            labels = await page.eval_on_selector_all(menu, "os => os.map(o => [o.value, o.textContent])")
            assert [f"agency-{reachable}", f"Sở Y tế Hà Nội {suffix} — {agency_number}"] in labels, labels
            await _menu_shot(page)
            # Deactivated after the menu was filled: Asterisk has no such target, the REFER is refused.
            await db_pool.execute("UPDATE agencies SET active = false WHERE id = $1", retired)
            await _transfer_refused(page, service, f"agency-{retired}")
            # Not in the directory at all (a stale or forged menu entry).
            await page.eval_on_selector("#phone-transfer-agencies", "g => g.append(new Option('?', 'agency-999999'))")
            await _transfer_refused(page, service, "agency-999999")
            assert not [m for m in trunk.messages() if not m.sent], "the trunk heard from a refused transfer"

            await page.select_option("#phone-transfer", f"agency-{reachable}")
            await page.click("#phone-transfer-go")
            await page.wait_for_selector('#phone[data-phone="idle"]', timeout=20_000)
            # The wrap-up says what happened already: forwarded, to that agency (the agent may change both).
            await page.wait_for_selector("#wrapup:not([hidden])", timeout=20_000)
            await page.wait_for_function(f"() => document.getElementById('wrap-agency').value === '{reachable}'",
                                         timeout=10_000)
            assert await page.input_value("#wrap-outcome") == "forwarded"
            assert await page.is_visible("#wrap-agency-row")
            await page.click("#wrap-submit")
            await page.wait_for_selector('#my-state[data-state="ready"]')
            assert await trunk.wait(60) == 0, trunk.errors()
            invites = [m.first_line for m in trunk.messages() if not m.sent and m.first_line.startswith("INVITE ")]
            assert [line.split()[1].split("@")[0] for line in invites] == [f"sip:{agency_number}"], invites
            await caller.wait(60)
        steps = await until(lambda: db_pool.fetch(
            "SELECT kind, value FROM call_steps WHERE linkedid = $1 AND kind = 'transfer'", linkedid), 30,
            "the transfer step in the call's record")
        assert [(s["kind"], s["value"]) for s in steps] == [("transfer", f"agency-{reachable}")]
        record = await calls.record(number)
        assert (record["agent"], record["outcome"]) == (EXT, "answered"), dict(record)
        ticket = await db_pool.fetchrow("SELECT agency_id FROM tickets WHERE linkedid = $1", linkedid)
        assert ticket["agency_id"] == reachable, dict(ticket)
    finally:
        # Out of the directory; the one the call was forwarded to stays (inactive) under its wrap-up and ticket.
        await db_pool.execute("UPDATE agencies SET active = false WHERE id = ANY ($1::int[])", [reachable, retired])
        await db_pool.execute("""DELETE FROM agencies a WHERE id = ANY ($1::int[])
                                 AND NOT EXISTS (SELECT 1 FROM wrapups w WHERE w.agency_id = a.id)
                                 AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.agency_id = a.id)""",
                              [reachable, retired])
        await release_agent(controller, EXT, [number])


async def _menu_shot(page) -> None:
    """The transfer menu opened (a listbox for the shot: headless Chromium draws no native drop-down)."""
    await page.eval_on_selector("#phone-transfer", "s => { s.size = s.options.length + 2; }")
    await page.locator("#phone-transfer").scroll_into_view_if_needed()
    await shot(page, "transfer-menu", phone_width=True)
    await page.eval_on_selector("#phone-transfer", "s => { s.size = 0; }")
