"""The supervisors' report page (/reports) in headless Chromium, against the console's app on a
database of its own holding the generated month-scale data set of tests/integration/test_reports.py
(figures known in advance): key figures, both charts and the tables show exactly what the API
computes; the CSV link downloads the same figures; agents get 403; bad input shows the API's error."""
from __future__ import annotations

import csv
import io
import secrets
from datetime import datetime
from typing import AsyncIterator
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from db.demo import load_demo_data
from db.migrate import migrate
from db.reports import summary
from tests.bench.dataset import generate, load
from tests.e2e.console_helpers import SCREENSHOTS
from tests.ports import free_port
from tests.fixtures.console import AllUp

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

TZ = "Asia/Ho_Chi_Minh"
START = datetime(2021, 9, 1, tzinfo=ZoneInfo(TZ))
END = datetime(2021, 9, 8, tzinfo=ZoneInfo(TZ))            # 1-7 September, `to` inclusive


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def console(pg_cluster) -> AsyncIterator[tuple[str, object]]:
    """(base URL, pool): the console's app with the demo people and 2,000 generated calls."""
    import asyncpg
    name = f"ivr1022_report_page_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    pool = await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=4)
    await migrate(pool)
    await load_demo_data(pool)
    async with pool.acquire() as con:
        await load(con, generate(2000, START, END, seed=11))
    runner = web.AppRunner(init_app(ConsoleConfig(), lambda: pool, AllUp()))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", pool
    finally:
        await runner.cleanup()
        await pool.close()


async def sign_in(page, base: str, ext: str) -> None:
    await page.goto(base + "/login")
    await page.fill("#ext", ext)
    await page.fill("#password", f"demo{ext}")
    await page.click("#login-submit")
    await page.wait_for_url("**/agent" if ext.startswith("1") else "**/supervisor")


def pct(x) -> str:
    """As the page shows it in Vietnamese: a decimal comma."""
    return "—" if x is None else f"{x * 100:.1f}%".replace(".", ",")


def clock(s) -> str:
    if s is None:
        return "—"
    s = round(s)
    h, m, sec = s // 3600, s % 3600 // 60, s % 60
    return (f"{h}:{m:02d}" if h else f"{m}") + f":{sec:02d}"


async def test_the_report_page_shows_the_apis_figures_with_charts_and_csv(console, new_page):
    base, pool = console
    want = await summary(pool, start=START, end=END, tz=TZ)
    assert want["totals"]["received"] >= 1500

    agent = await new_page()
    await sign_in(agent, base, "1001")
    assert (await agent.goto(base + "/reports")).status == 403

    page = await new_page(width=1280, height=1000)
    await sign_in(page, base, "2001")
    await page.click("#nav-reports")
    await page.wait_for_url("**/reports")
    await page.fill("#r-from", "01/09/2021")
    await page.fill("#r-to", "07/09/2021")
    await page.click("#r-submit")
    await page.wait_for_selector('#r-days tr[data-day="2021-09-07"]')

    totals = want["totals"]
    shown = {f: await page.text_content(f'#r-totals dd[data-field="{f}"]')
             for f in ("received", "success_rate", "service_level", "asa_s", "aht_s")}
    assert shown == {"received": f"{totals['received']:,}".replace(",", "."), "success_rate": pct(totals["success_rate"]),
                     "service_level": pct(totals["service_level"]), "asa_s": clock(totals["asa_s"]),
                     "aht_s": clock(totals["aht_s"])}, shown
    # The day chart: two bars a day whose values are the API's; the branch chart: one bar a branch.
    bars = await page.eval_on_selector_all(
        "#chart-days rect", "rs => rs.map(r => [r.dataset.day, r.dataset.measure, Number(r.dataset.value)])")
    assert bars == [[d["day"], m, d[m]] for d in want["by_day"] for m in ("received", "succeeded")]
    branch_bars = await page.eval_on_selector_all("#chart-branches rect", "rs => rs.map(r => Number(r.dataset.value))")
    assert branch_bars == [b["received"] for b in want["by_branch"]]
    # Tables: a day row and a branch row, agencies, one agent's occupancy.
    day = want["by_day"][2]
    assert await page.text_content(f'#r-days tr[data-day="{day["day"]}"] td[data-field="success_rate"]') == pct(
        day["success_rate"])
    first_agency = totals["forwarded_by_agency"][0]
    assert await page.text_content("#r-agencies tr:first-child td:first-child") == (
        first_agency["agency"] or "Không ghi cơ quan")
    agent_row = want["agents"][0]
    assert await page.text_content(f'#r-agents tr[data-ext="{agent_row["ext"]}"] td[data-field="occupancy"]') == pct(
        agent_row["occupancy"])
    await page.screenshot(path=str(SCREENSHOTS / "reports-vi.png"), full_page=True)

    # The CSV link: the same figures, day x branch, with this page's cookie.
    href = await page.get_attribute("#r-csv", "href")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with aiohttp.ClientSession(cookies=cookies) as session, session.get(base + href) as resp:
        assert resp.status == 200 and resp.content_type == "text/csv"
        rows = list(csv.DictReader(io.StringIO(await resp.text())))
    assert sum(int(r["received"]) for r in rows) == totals["received"]

    # A stricter service level from the form changes the figure to the API's for that threshold.
    await page.fill("#r-sl", "0")
    await page.click("#r-submit")
    strict = await summary(pool, start=START, end=END, tz=TZ, service_level_s=0)
    await page.wait_for_function("want => document.querySelector('#r-totals dd[data-field=\"service_level\"]')"
                                 ".textContent === want", arg=pct(strict["totals"]["service_level"]))
    # Bad input: the API's error, and the figures stay.
    await page.fill("#r-from", "09/09/2021")
    await page.click("#r-submit")
    await page.wait_for_function("() => document.getElementById('r-error').textContent !== ''")
    assert "from" in await page.text_content("#r-error")
    assert not await page.is_hidden("#r-report")
    # English.
    await page.click("#lang-toggle")
    await page.wait_for_function("() => document.querySelector('#r-totals dt').textContent === 'Received'")
    assert await page.text_content('#r-branches-head th:first-child') == "Branch"
    assert await page.text_content('#r-totals dd[data-field="success_rate"]') == pct(
        strict["totals"]["success_rate"]).replace(",", ".")



async def test_the_report_page_shows_time_to_115_and_the_survey(console, new_page):
    """Issue 12: three of the data set's calls get 115 dial figures, two a survey; the page shows the
    API's figures (the other measures are untouched: these are columns of existing calls)."""
    base, pool = console
    picked = await pool.fetch("SELECT linkedid, agent, started_at FROM calls WHERE started_at >= $1 AND started_at < $2"
                              " AND agent IS NOT NULL ORDER BY started_at LIMIT 5", START, END)
    for row, (dial, answer, status) in zip(picked, [(0.02, 3.5, "ANSWER"), (0.04, 12.0, "ANSWER"),
                                                    (0.03, None, "NOANSWER")]):
        await pool.execute("UPDATE calls SET emergency_dial_s = $2, emergency_answer_s = $3,"
                           " emergency_dial_status = $4 WHERE linkedid = $1", row["linkedid"], dial, answer, status)
    for row, score in zip(picked[3:], (5, None)):
        await pool.execute("INSERT INTO call_surveys (linkedid, asked_at, agent, branch, score)"
                           " VALUES ($1, $2, $3, 2, $4)", row["linkedid"], row["started_at"], row["agent"], score)
    want = await summary(pool, start=START, end=END, tz=TZ)
    assert want["time_to_115"]["totals"]["dials"] == 3 and want["survey"]["totals"]["asked"] == 2

    page = await new_page(width=1280, height=1000)
    await sign_in(page, base, "2001")
    await page.goto(base + "/reports")
    await page.fill("#r-from", "01/09/2021")
    await page.fill("#r-to", "07/09/2021")
    await page.click("#r-submit")
    # The chosen week's rows: the default range's report (no calls) has its own total row too.
    await page.wait_for_selector('#r-days tr[data-day="2021-09-07"]')
    await page.wait_for_selector('#r-survey tr[data-total="1"]')
    total = want["time_to_115"]["totals"]
    last = "#r-t115 tr:last-child"
    assert await page.text_content(f'{last} td[data-field="dials"]') == "3"
    assert await page.text_content(f'{last} td[data-field="answer_p50_s"]') == f"{total['answer_p50_s']:.1f} s".replace(".", ",")
    assert await page.text_content(f'{last} td[data-field="answered_10s_share"]') == pct(total["answered_10s_share"])
    survey = '#r-survey tr[data-total="1"]'
    assert await page.text_content(f'{survey} td[data-field="asked"]') == "2"
    assert await page.text_content(f'{survey} td[data-field="average"]') == "5"
    assert await page.text_content(f'{survey} td[data-field="answer_rate"]') == pct(0.5)
    agent = want["survey"]["by_agent"][0]
    assert await page.text_content(f'#r-survey tr[data-ext="{agent["agent"]}"] td[data-field="asked"]') == str(agent["asked"])
    href = await page.get_attribute("#r-survey-csv", "href")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with aiohttp.ClientSession(cookies=cookies) as session, session.get(base + href) as resp:
        rows = list(csv.DictReader(io.StringIO(await resp.text())))
    assert sum(int(r["survey_asked"]) for r in rows) == 2
