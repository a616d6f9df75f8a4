"""Issue 16: every console page, whatever arrives first and however narrow the screen.

* The translation file (i18n.json) held back 1 s by the browser's route, and then the other way
  round, the page's scripts held back 1 s so the translations come first: each page still shows
  its data (an agent's three tickets, his state and queues, the wallboard's tiles and agents, the
  report's figures, the access log's rows) — no page depends on the order its scripts and JSON arrive.
"""
from __future__ import annotations

import asyncio
import uuid

import pytest

from agent_console.i18n import catalog
from db.live_listen import record_listen
from tests.e2e.console_helpers import base_url, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

AGENT = "1014"          # no other browser test uses this agent, so his ticket list is his own
SUPERVISOR = "2002"
ADMIN = "9001"


def _is_catalog(url: str) -> bool:
    return url.endswith("/static/i18n.json")


def _is_page_script(url: str) -> bool:
    """common.js and the page's own script; i18n.js (which fetches the catalog) is not held."""
    return "/static/" in url and url.endswith(".js") and not url.endswith("/i18n.js")


HELD = {"catalog": _is_catalog, "scripts": _is_page_script}


async def _hold(page, held_kind: str, seconds: float = 1.0) -> list[str]:
    """Every request of that kind waits `seconds` before it goes on; returns the URLs held."""
    held: list[str] = []

    async def later(route):
        held.append(route.request.url)
        await asyncio.sleep(seconds)
        await route.continue_()

    await page.route(HELD[held_kind], later)
    return held


async def _post(page, controller, path: str, body: dict) -> dict:
    csrf = await page.get_attribute('meta[name="csrf-token"]', "content")
    response = await page.request.post(base_url(controller) + path, data=body, headers={"X-CSRF-Token": csrf})
    assert response.ok, await response.text()
    return await response.json()


async def _get(page, controller, path: str) -> dict:
    response = await page.request.get(base_url(controller) + path)
    assert response.ok, await response.text()
    return await response.json()


@pytest.mark.parametrize("held_kind", sorted(HELD))
async def test_an_agents_pages_show_their_data_whatever_comes_first(controller, new_page, held_kind):
    page = await new_page()
    await sign_in(page, controller, AGENT)
    marker = uuid.uuid4().hex[:8]
    for n in range(3):
        await _post(page, controller, "/api/v1/tickets", {
            "caller_number": f"0908{n}{uuid.uuid4().int % 10**5:05d}", "branch": 2,
            "category": f"Tiêm chủng {marker}", "summary": "Hỏi lịch tiêm mũi 2"})
    mine = (await _get(page, controller, "/api/v1/tickets/search?q=&status="))["tickets"]
    assert len([k for k in mine if marker in k["category"]]) == 3

    held = await _hold(page, held_kind)
    await page.goto(base_url(controller) + "/tickets")
    await page.wait_for_function("n => document.querySelectorAll('#ticket-rows tr').length === n", arg=len(mine))
    assert await page.locator(f"#ticket-rows tr >> text=Tiêm chủng {marker}").count() == 3
    assert await page.text_content("#ticket-rows tr:first-child td:nth-child(4)") == "Mới"   # words in, too

    await page.goto(base_url(controller) + "/agent")
    await page.wait_for_selector("#live-status.on")
    await page.wait_for_selector('#my-state[data-state="logged_out"]')
    assert await page.text_content("#my-state") == "Chưa vào hàng đợi"
    await page.wait_for_selector('#queue-rows tr[data-queue="cdc"]')
    # scripts: tickets (common.js, tickets.js), agent (common.js, agent.js, vendor/jssip.js, phone.js)
    assert len(held) == (2 if held_kind == "catalog" else 6)


@pytest.mark.parametrize("held_kind", sorted(HELD))
async def test_the_supervisors_pages_show_their_data_whatever_comes_first(controller, db_pool, new_page, held_kind):
    page = await new_page()
    await sign_in(page, controller, SUPERVISOR, landing="supervisor")
    held = await _hold(page, held_kind)
    await page.goto(base_url(controller) + "/supervisor")
    await page.wait_for_selector('#queue-tiles .tile[data-queue="cdc"]')
    await page.wait_for_selector(f'#agent-rows tr[data-ext="{AGENT}"]')
    assert await page.text_content('#queue-tiles .tile[data-queue="cdc"] h3') == "Trung tâm Kiểm soát bệnh tật (CDC)"

    await page.goto(base_url(controller) + "/reports")
    await page.wait_for_selector('#r-totals dd[data-field="received"]')
    assert await page.text_content("#r-totals dt") == "Tiếp nhận"

    admin = await new_page()
    await sign_in(admin, controller, ADMIN, landing="supervisor")
    listen_id = await record_listen(db_pool, agent_ext=AGENT, listener_ext=SUPERVISOR, listener_role="supervisor",
                                    linkedid=None, remote_addr="127.0.0.1")
    admin_held = await _hold(admin, held_kind)
    await admin.goto(base_url(controller) + "/audit")
    await admin.wait_for_selector(f'#listen-rows tr[data-id="{listen_id}"]')
    assert await admin.text_content(f'#listen-rows tr[data-id="{listen_id}"] td:nth-child(3)') == "Giám sát viên"
    # scripts: common.js, intraday.js and the page's own on the wallboard and the report page, and the wallboard's
    # browser phone (vendor/jssip.js, phone.js)
    assert (len(held), len(admin_held)) == ((2, 1) if held_kind == "catalog" else (8, 2))


@pytest.mark.parametrize("held_kind", sorted(HELD))
async def test_the_portal_sends_and_looks_up_whatever_comes_first(controller, db_pool, new_page, held_kind):
    page = await new_page(390, 844)
    held = await _hold(page, held_kind)
    await page.goto(base_url(controller) + "/portal")
    await page.fill("#phone", f"0966{uuid.uuid4().int % 10**6:06d}")
    await page.fill("#text", "Hỏi nơi xét nghiệm gần phường Kim Liên")
    await page.click("#send")                     # waits for the script to enable it
    await page.wait_for_selector("#sent:not([hidden])")
    assert len(await page.text_content("#sent-code")) == 8
    await _looked_up_request(page, controller, db_pool)
    await page.wait_for_function("() => document.getElementById('r-status').textContent === 'Đã tiếp nhận'")
    assert await page.text_content("#r-replies li p") == "Đã chuyển Đội quản lý trật tự đô thị xử lý."
    assert len(held) == 1


# Each page, who opens it, and what shows that its data is drawn (the width is measured then).
PAGES = [
    ("/login", None, "#login-submit"),
    ("/portal", None, "#send"),
    ("/written", AGENT, "#wr-target:not(:empty)"),
    ("/agent", AGENT, '#queue-rows tr[data-queue="cdc"]'),
    ("/tickets", AGENT, "#ticket-rows tr"),
    ("/supervisor", SUPERVISOR, f'#agent-rows tr[data-ext="{AGENT}"]'),
    ("/supervisor?wall=1", SUPERVISOR, '#queue-tiles .tile[data-queue="cdc"]'),
    ("/reports", SUPERVISOR, '#r-totals dd[data-field="received"]'),
    ("/audit", ADMIN, "#listen-rows tr"),
    ("/agencies", ADMIN, "#ag-rows tr"),
]
SCREENS = [(390, 844), (1366, 768)]


async def _each_page(controller, db_pool, new_page, width: int, height: int, check) -> None:
    """Opens every page with its data drawn, then calls `check(page, path, lang)` in Vietnamese, then
    (after the page's own toggle) in English; the sign-in page only in Vietnamese. The portal shows a
    looked-up request with a reply."""
    await record_listen(db_pool, agent_ext=AGENT, listener_ext=SUPERVISOR, listener_role="supervisor",
                        linkedid="1700000000.1", remote_addr="127.0.0.1")
    for path, ext, drawn in PAGES:
        page = await new_page(width=width, height=height)
        if ext:
            await sign_in(page, controller, ext, landing="agent" if ext.startswith("1") else "supervisor")
        if path == "/tickets":
            await _post(page, controller, "/api/v1/tickets", {
                "caller_number": "0908123456", "branch": 3, "category": "Thuốc, tư vấn điều trị",
                "summary": "Người nhà F0 hỏi cách dùng thuốc hạ sốt"})
        await page.goto(base_url(controller) + path)
        await page.wait_for_selector(drawn)
        if path == "/tickets":
            await page.click("#ticket-rows tr:first-child")
            await page.wait_for_selector("#detail:not([hidden])")
        if path == "/portal":
            await _looked_up_request(page, controller, db_pool)
        await check(page, path, "vi")
        if path != "/login":
            await page.click("#lang-toggle")
            await page.wait_for_function("() => document.documentElement.lang === 'en'")
            await page.wait_for_timeout(300)          # the page's own redraw after the switch
            await check(page, path, "en")


async def _looked_up_request(page, controller, db_pool) -> None:
    """A portal request answered by the agent, then looked up on the page."""
    await db_pool.execute("DELETE FROM portal_submissions WHERE remote_addr = '127.0.0.1'")
    phone = f"0977{uuid.uuid4().int % 10**6:06d}"
    sent = await page.request.post(base_url(controller) + "/api/v1/public/requests", data={
        "subject": "violations", "phone": phone, "text": "Xe tải đỗ chắn lối thoát hiểm chung cư"})
    assert sent.status == 201, await sent.text()
    code = (await sent.json())["tracking_code"]
    ticket_id = await db_pool.fetchval("SELECT id FROM tickets WHERE tracking_code = $1", code)
    await db_pool.execute("""INSERT INTO ticket_events (ticket_id, by, status, note, public)
                             VALUES ($1, $2, 'open', 'Đã chuyển Đội quản lý trật tự đô thị xử lý.', true)""",
                          ticket_id, AGENT)
    await page.fill("#lookup-code", code)
    await page.fill("#lookup-phone", phone)
    await page.click("#find")
    await page.wait_for_selector("#r-replies li p")


@pytest.mark.parametrize("width, height", SCREENS)
async def test_every_page_fits_the_screen_without_scrolling_sideways(controller, db_pool, new_page, width, height,
                                                                     tmp_path_factory):
    shots, too_wide = tmp_path_factory.mktemp(f"screens-{width}"), []

    async def measure(page, path, lang):
        await page.screenshot(path=str(shots / f"{path.strip('/')}-{lang}.png"), full_page=True)
        scroll = await page.evaluate("() => document.documentElement.scrollWidth")
        if scroll > width:
            too_wide.append(f"{path} ({lang}) is {scroll} px wide")

    await _each_page(controller, db_pool, new_page, width, height, measure)
    assert not too_wide, f"on a {width} px screen: {too_wide}"


# Every visible text of the page (text nodes, placeholders, titles), trimmed, one entry each.
VISIBLE_TEXTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement, text = n.textContent.trim();
    // the page's chrome: not the data (table bodies, figures, the signed-in name) nor the language switch
    if (!text || !el || el.closest('[hidden], script, style, title, tbody, dd, #who, #lang-toggle')) { continue; }
    if (el.closest('select') ? el.closest('select').checkVisibility() : el.checkVisibility()) { out.push(text); }
  }
  document.querySelectorAll('[placeholder], [title]').forEach(el => {
    if (el.checkVisibility()) { ['placeholder', 'title'].forEach(a => el.getAttribute(a) && out.push(el.getAttribute(a))); }
  });
  return out;
}"""


async def test_no_page_shows_words_of_the_other_language_or_a_bare_key(controller, db_pool, new_page):
    words = catalog()
    other = {lang: {words[o][k] for k in words[o] if words[o][k] != words[lang][k]}
             for lang, o in (("vi", "en"), ("en", "vi"))}
    wrong: list[str] = []

    async def read(page, path, lang):
        for text in await page.evaluate(VISIBLE_TEXTS):
            if text in words["vi"] or text in other[lang]:
                wrong.append(f"{path} ({lang}): {text!r}")
        keys = await page.eval_on_selector_all("[data-i18n]", "ns => ns.map(n => n.getAttribute('data-i18n'))")
        wrong.extend(f"{path}: data-i18n {k!r} not in the catalog" for k in keys if k not in words[lang])

    await _each_page(controller, db_pool, new_page, 1366, 768, read)
    assert not wrong, "\n".join(wrong)

