"""The intraday charts in headless Chromium, on a database of their own holding a generated day whose
figures the API test counts by hand (tests/integration/test_reports_intraday.py): on the report page
every bar (received, answered, abandoned, agents in the queues) and every service-level dot carries the
API's figure for its slot and is as tall as that figure says; per hour and per 15 minutes; the wallboard
draws today's; both fit 390 px; screenshots at 1366x768 and 390x844."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import pytest_asyncio
from aiohttp import web

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from db.demo import load_demo_data
from db.migrate import migrate
from db.reports_intraday import intraday
from tests.bench.dataset import generate, load
from tests.e2e.console_helpers import SCREENSHOTS
from tests.e2e.test_console_reports import sign_in
from tests.integration.test_reports_intraday import DAY, START, expected_slots
from tests.ports import free_port
from tests.fixtures.console import AllUp

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

TZ = "Asia/Ho_Chi_Minh"
BARS = ("received", "answered", "abandoned")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def console(pg_cluster) -> AsyncIterator[tuple[str, asyncpg.Pool, object]]:
    """(base URL, pool, data set): the generated 2 September 2021 and the last six hours before now."""
    name = f"ivr1022_intraday_page_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    pool = await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=4)
    await migrate(pool)
    await load_demo_data(pool)
    data = generate(900, START - timedelta(hours=3), START + timedelta(hours=27), seed=16)
    now = datetime.now(timezone.utc)
    today = _renamed(generate(120, now - timedelta(hours=6), now - timedelta(minutes=5), seed=5, n_agents=4))
    for each in (data, today):   # no open state row: "in the queues" does not depend on now()
        each.states[:] = [(e, s, r, lk, b, x if x is not None else b + timedelta(minutes=1))
                          for e, s, r, lk, b, x in each.states]
    async with pool.acquire() as con:
        await load(con, data)
        await load(con, today)
    runner = web.AppRunner(init_app(ConsoleConfig(), lambda: pool, AllUp()))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", pool, data
    finally:
        await runner.cleanup()
        await pool.close()


def _renamed(data):
    """Today's calls under linkedids of their own (the generator numbers every data set alike)."""
    def new(linkedid):
        return None if linkedid is None else f"today-{linkedid}"
    data.calls[:] = [(new(c[0]), *c[1:]) for c in data.calls]
    data.wrapups[:] = [(new(w[0]), *w[1:]) for w in data.wrapups]
    data.states[:] = [(*s[:3], new(s[3]), *s[4:]) for s in data.states]
    data.tickets[:] = [(new(t[0]), *t[1:]) for t in data.tickets]
    return data


_READ = """card => [...card.querySelectorAll('svg [data-measure]')].map(n => ({
    slot: n.dataset.slot, measure: n.dataset.measure, value: n.dataset.value === '' ? null : Number(n.dataset.value),
    height: n.tagName === 'rect' ? Number(n.getAttribute('height')) : null}))"""


def _check_drawn(drawn: list[dict], slots: list[dict]) -> None:
    """Every slot's bars and dot are the API's figures; a bar's height is its figure times one scale."""
    by_slot = {(d["slot"], d["measure"]): d for d in drawn}
    for slot in slots:
        for measure in (*BARS, "agents_logged_in"):
            assert by_slot[(slot["time"], measure)]["value"] == slot[measure], (slot["time"], measure)
        dot = by_slot.get((slot["time"], "service_level"))
        assert (dot["value"] if dot else None) == slot["service_level"], slot["time"]
    for measures in (BARS, ("agents_logged_in",)):
        pairs = [(d["value"], d["height"]) for d in drawn if d["measure"] in measures and d["value"]]
        scales = {round(height / value, 3) for value, height in pairs}
        assert len(scales) == 1, scales
    assert sum(1 for d in drawn if d["measure"] == "received") == len(slots)


async def _show_day(page, base: str) -> None:
    await page.goto(base + "/reports")
    await page.fill("#r-from", DAY.strftime("%d/%m/%Y"))
    await page.fill("#r-to", DAY.strftime("%d/%m/%Y"))
    await page.click("#r-submit")
    await page.wait_for_selector(f'#r-intraday[data-day="{DAY}"][data-slot-min="60"]')


async def test_the_report_pages_hourly_bars_are_the_apis_figures(console, new_page):
    base, pool, data = console
    want = await intraday(pool, day=DAY, tz=TZ)
    assert [{k: v for k, v in s.items() if k != "start"} for s in want["slots"]] == expected_slots(data, 60)
    page = await new_page(width=1366, height=768)
    await sign_in(page, base, "2001")
    await _show_day(page, base)
    card = await page.query_selector("#r-intraday")
    _check_drawn(await card.evaluate(_READ), want["slots"])
    # The key figures: calls sent to 115 and menu hang-ups, the hours' sums (= the day's summary).
    for key in ("transferred_115", "abandoned_ivr"):
        shown = await page.text_content(f'#r-totals dd[data-field="{key}"]')
        assert shown == str(sum(s[key] for s in want["slots"])), key
    assert await page.text_content("#r-intraday .intraday-day") == DAY.strftime("%d/%m/%Y")
    assert await page.text_content("#r-intraday h2 span") == "Trong ngày"
    rows = await page.eval_on_selector_all("#r-intraday .intraday-rows tr", "rs => rs.map(r => r.dataset.slot)")
    assert rows == [s["time"] for s in want["slots"]]
    await card.screenshot(path=str(SCREENSHOTS / "intraday-reports-1366.png"))
    await page.screenshot(path=str(SCREENSHOTS / "reports-intraday-1366x768.png"))

    # Per 15 minutes: 96 slots, the API's figures again.
    await page.click("#r-intraday button[data-slot='15']")
    await page.wait_for_selector('#r-intraday[data-slot-min="15"]')
    quarter = await intraday(pool, day=DAY, tz=TZ, slot_min=15)
    _check_drawn(await card.evaluate(_READ), quarter["slots"])
    assert len(quarter["slots"]) == 96


async def test_the_charts_fit_a_phone(console, new_page):
    base, pool, _data = console
    page = await new_page(width=390, height=844)
    await sign_in(page, base, "2001")
    await _show_day(page, base)
    want = await intraday(pool, day=DAY, tz=TZ)
    card = await page.query_selector("#r-intraday")
    _check_drawn(await card.evaluate(_READ), want["slots"])
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    box = await card.bounding_box()
    assert box["width"] <= 390
    await card.screenshot(path=str(SCREENSHOTS / "intraday-reports-390.png"))


@pytest.mark.parametrize("width, height, wall", [(1366, 768, ""), (390, 844, ""), (1920, 1080, "?wall=1")])
async def test_the_wallboard_draws_todays_slots(console, new_page, width, height, wall):
    base, pool, _data = console
    page = await new_page(width=width, height=height)
    await sign_in(page, base, "2001")
    if wall:
        await page.goto(base + "/supervisor" + wall)   # the large screen
    today = datetime.now(ZoneInfo(TZ)).date()
    await page.wait_for_selector(f'#wall-intraday[data-day="{today}"]')
    want = await intraday(pool, day=today, tz=TZ)
    assert sum(s["received"] for s in want["slots"]) >= 20
    # The wallboard's charts were drawn a moment ago; calls cannot arrive here, so the figures stand.
    _check_drawn(await (await page.query_selector("#wall-intraday")).evaluate(_READ), want["slots"])
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    name = "wall" if wall else "wallboard"
    await page.screenshot(path=str(SCREENSHOTS / f"{name}-intraday-{width}x{height}.png"), full_page=True)
