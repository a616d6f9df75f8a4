"""GET /api/v1/reports/intraday on a generated day whose answers are counted here, independently of
the SQL (loops over the data set's tuples): every slot's figures, per hour and per 15 minutes; the
slots add up to the summary's day; bad input is a 400; agents get 403."""
from __future__ import annotations

import csv
import io
import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import AsyncIterator
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from db.migrate import migrate
from db.reports import summary, summary_csv
from db.reports_intraday import intraday
from db.sessions import create_session
from tests.bench.dataset import CALL_COLUMNS, TICKET_COLUMNS, Dataset, generate, load
from tests.fixtures.console import AllUp

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

TZ = "Asia/Ho_Chi_Minh"
LOCAL = ZoneInfo(TZ)
DAY = date(2021, 9, 2)
START = datetime(2021, 9, 2, tzinfo=LOCAL)


def expected_slots(data: Dataset, slot_min: int, service_s: Decimal = Decimal(20)) -> list[dict]:
    """The day's slots counted by hand from the records (docs/metrics.md, Intraday)."""
    length = timedelta(minutes=slot_min)
    slots = []
    for n in range(24 * 60 // slot_min):
        begin, end = START + n * length, START + (n + 1) * length
        calls = [dict(zip(CALL_COLUMNS, c)) for c in data.calls if begin <= c[4] < end]
        tickets = [t for t in (dict(zip(TICKET_COLUMNS, t)) for t in data.tickets)
                   if t["linkedid"] is None and begin <= t["created_at"] < end]
        answered = [c for c in calls if c["outcome"] in ("answered", "emergency_fallback")]
        timed = [c for c in answered if c["wait_s"] is not None]
        agents = {ext for ext, state, _r, _l, began, ended in data.states
                  if state != "logged_out" and ended is not None and began < end and ended > begin and ended > began}
        slots.append({
            "time": begin.strftime("%H:%M"), "received": len(calls) + len(tickets), "answered": len(answered),
            "abandoned": sum(c["outcome"] in ("short_abandon", "abandoned_queue") for c in calls),
            "transferred_115": sum(c["outcome"] == "transferred_115" for c in calls),
            "abandoned_ivr": sum(c["outcome"] == "abandoned_ivr" for c in calls),
            "service_level": round(sum(c["wait_s"] <= service_s for c in timed) / len(timed), 4) if timed else None,
            "agents_logged_in": len(agents)})
    return slots


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def day_data() -> Dataset:
    # Three hours either side of the day, so its midnights cut through the data.
    return generate(900, START - timedelta(hours=3), START + timedelta(hours=27), seed=16)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(pg_cluster, day_data) -> AsyncIterator[tuple[TestClient, asyncpg.Pool]]:
    name = f"ivr1022_intraday_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    pool = await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=4)
    await migrate(pool)
    async with pool.acquire() as con:
        await load(con, day_data)
    # Every agent's last state is closed, so "logged in" does not depend on now().
    await pool.execute("UPDATE agent_states SET ended_at = started_at + interval '1 minute' WHERE ended_at IS NULL")
    day_data.states[:] = [(e, s, r, lk, b, x if x is not None else b + timedelta(minutes=1))
                          for e, s, r, lk, b, x in day_data.states]
    await pool.executemany(
        "INSERT INTO agents (ext, name, role, password_hash, sip_password) VALUES ($1, $1, $2, 'pbkdf2_sha256$x', 'x')",
        [("1001", "agent"), ("2001", "supervisor")])
    app = init_app(ConsoleConfig(), lambda: pool, AllUp())
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client, pool
    await pool.close()


async def _get(client: TestClient, pool: asyncpg.Pool, ext: str, path: str):
    token, _ = await create_session(pool, ext, 600)
    return await client.get(path, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("slot_min", [60, 15])
async def test_every_slot_equals_the_hand_count(client, day_data, slot_min):
    test_client, pool = client
    response = await _get(test_client, pool, "2001", f"/api/v1/reports/intraday?day={DAY}&slot_min={slot_min}")
    assert response.status == 200
    body = await response.json()
    assert (body["day"], body["tz"], body["slot_min"]) == (DAY.isoformat(), TZ, slot_min)
    got = [{k: v for k, v in slot.items() if k != "start"} for slot in body["slots"]]
    want = expected_slots(day_data, slot_min)
    assert len(got) == 24 * 60 // slot_min
    assert got == want
    assert sum(s["received"] for s in want) > 300 and max(s["agents_logged_in"] for s in want) > 0
    assert datetime.fromisoformat(body["slots"][0]["start"]) == START


async def test_the_hours_add_up_to_the_summarys_day(client):
    test_client, pool = client
    hours = await (await _get(test_client, pool, "2001", f"/api/v1/reports/intraday?day={DAY}")).json()
    report = await (await _get(test_client, pool, "2001", f"/api/v1/reports/summary?from={DAY}&to={DAY}")).json()
    for name in ("received", "answered", "abandoned", "transferred_115", "abandoned_ivr"):
        assert sum(slot[name] for slot in hours["slots"]) == report["totals"][name], name


@pytest.mark.parametrize("query, named", [
    ("", "day"), ("day=2021-9-2", "day"), (f"day={DAY}&slot_min=30", "slot_min"),
    (f"day={DAY}&service_level_s=-1", "service_level_s"), (f"day={DAY}&short_abandon_s=601", "short_abandon_s")])
async def test_bad_input_is_a_400_naming_the_parameter(client, query, named):
    test_client, pool = client
    response = await _get(test_client, pool, "2001", f"/api/v1/reports/intraday?{query}")
    assert response.status == 400 and named in (await response.json())["error"]


async def test_agents_may_not_read_it(client):
    test_client, pool = client
    response = await _get(test_client, pool, "1001", f"/api/v1/reports/intraday?day={DAY}")
    assert response.status == 403


# -- key figures: calls sent to 115 and menu hang-ups, counted by hand -----------------------

def _hand_call(lid: str, outcome: str, hour: int, minute: int, branch: int | None) -> tuple:
    at = datetime(2021, 9, 2, hour, minute, tzinfo=LOCAL)
    return (lid, branch, None, branch == 1, at, None, at + timedelta(minutes=2), None, None, None, outcome)


KEY_FIGURES = Dataset(calls=[
    _hand_call("k1", "transferred_115", 9, 5, 1), _hand_call("k2", "transferred_115", 9, 40, 1),
    _hand_call("k3", "transferred_115", 14, 20, 1), _hand_call("k4", "emergency_fallback", 14, 30, 1),
    _hand_call("k5", "abandoned_ivr", 9, 10, None), _hand_call("k6", "abandoned_ivr", 23, 30, None),
    _hand_call("k7", "abandoned_queue", 9, 15, 2)])


async def test_key_figures_equal_a_hand_count(pg_cluster):
    name = f"ivr1022_keyfig_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    pool = await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=2)
    try:
        await migrate(pool)
        async with pool.acquire() as con:
            await load(con, KEY_FIGURES)
        start, end = START, START + timedelta(days=1)
        report = await summary(pool, start=start, end=end, tz=TZ)
        text = await summary_csv(pool, start=start, end=end, tz=TZ)
        hours = await intraday(pool, day=DAY, tz=TZ)
    finally:
        await pool.close()
    # 3 calls the 115 center answered (the fallback to an agent is not one); 2 hung up in the menu.
    assert (report["totals"]["transferred_115"], report["totals"]["abandoned_ivr"]) == (3, 2)
    by_branch = {row["branch"]: row for row in report["by_branch"]}
    assert (by_branch[1]["transferred_115"], by_branch[None]["abandoned_ivr"]) == (3, 2)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sum(int(r["transferred_115"]) for r in rows) == 3 and sum(int(r["abandoned_ivr"]) for r in rows) == 2
    per_hour = {s["time"]: (s["transferred_115"], s["abandoned_ivr"]) for s in hours["slots"]}
    assert {t: v for t, v in per_hour.items() if v != (0, 0)} == {"09:00": (2, 1), "14:00": (1, 0), "23:00": (0, 1)}
