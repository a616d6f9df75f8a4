"""db/reports.py and GET /api/v1/reports/summary on a generated data set whose figures are known
(tests/bench/dataset.py computes them in Python), in a database of their own."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import secrets
from datetime import date, datetime, timedelta, timezone
from typing import AsyncIterator
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from db.migrate import migrate
from db.records import OUTCOMES
from db.followups import followup_report
from db.reports import CSV_COLUMNS, MEASURES, summary, summary_csv
from db.sessions import create_session
from tests.bench.dataset import Dataset, expected_agents, expected_contacts, generate, load
from tests.bench.reports import bench_reports
from tests.unit.test_report_math import HAND, T0
from tests.fixtures.console import AllUp

pytestmark = pytest.mark.integration

TZ = "Asia/Ho_Chi_Minh"
UTC = timezone.utc
LOCAL = ZoneInfo(TZ)
FIRST_DAY, LAST_DAY = date(2021, 9, 1), date(2021, 9, 3)
START = datetime(2021, 9, 1, tzinfo=LOCAL)          # 2021-08-31 17:00 UTC
END = datetime(2021, 9, 4, tzinfo=LOCAL)            # the range is [START, END)


async def _fresh_pool(pg_cluster, **pool_options) -> asyncpg.Pool:
    name = f"ivr1022_reports_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    pool = await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=4, **pool_options)
    await migrate(pool)
    return pool


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def dataset() -> Dataset:
    # Six hours either side of the range, so the boundaries cut through the data.
    return generate(1500, START - timedelta(hours=6), END + timedelta(hours=6), seed=7)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pool(pg_cluster, dataset) -> AsyncIterator[asyncpg.Pool]:
    pool = await _fresh_pool(pg_cluster)
    async with pool.acquire() as con:
        await load(con, dataset)
    try:
        yield pool
    finally:
        await pool.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def report(pool) -> dict:
    return await summary(pool, start=START, end=END, tz=TZ)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
def expected(dataset) -> dict:
    return expected_contacts(dataset, START, END, TZ)


# -- the data set ---------------------------------------------------------------------------

def test_dataset_covers_every_outcome_branch_and_midnight(dataset):
    in_range = [c for c in dataset.calls if START <= c[4] < END]
    assert len(in_range) >= 1000
    assert {c[10] for c in in_range} == set(OUTCOMES) | {None}
    assert {c[1] for c in in_range} == {None, 1, 2, 3, 4}
    assert {s[2] for s in dataset.states if s[1] == "paused"} >= {"lunch", "training", "break", None}
    assert any(c[6] and c[4].astimezone(LOCAL).date() != c[6].astimezone(LOCAL).date() for c in in_range)


# -- figures against the Python-computed ones -----------------------------------------------

def test_totals_match(report, expected):
    assert report["totals"] == expected["totals"]
    assert report["totals"]["received"] >= 1000
    assert 0 < report["totals"]["success_rate"] < 1


def test_by_day_match(report, expected):
    assert [row["day"] for row in report["by_day"]] == ["2021-09-01", "2021-09-02", "2021-09-03"]
    assert report["by_day"] == expected["by_day"]


def test_by_branch_match_and_add_up(report, expected):
    assert report["by_branch"] == expected["by_branch"]
    assert sum(row["received"] for row in report["by_branch"]) == report["totals"]["received"]


def test_by_day_branch_match(report, expected):
    assert len(report["by_day_branch"]) == 3 * 5
    assert report["by_day_branch"] == expected["by_day_branch"]


def test_agencies_rank_forwarded(report):
    agencies = report["totals"]["forwarded_by_agency"]
    assert len(agencies) >= 5
    assert sum(a["forwarded"] for a in agencies) == report["totals"]["forwarded"]
    assert [a["forwarded"] for a in agencies] == sorted((a["forwarded"] for a in agencies), reverse=True)


def test_occupancy_and_pauses_match(report, dataset):
    expected = expected_agents(dataset, START, END, now=datetime.now(timezone.utc))
    assert len(report["agents"]) == 16
    assert report["agents"] == expected["agents"]
    assert report["agents_total"] == expected["agents_total"]
    assert report["pauses"] == expected["pauses"]
    assert 0 < report["agents_total"]["occupancy"] < 1


async def test_thresholds_are_parameters(pool, dataset):
    strict = await summary(pool, start=START, end=END, tz=TZ, short_abandon_s=2, service_level_s=10)
    default = await summary(pool, start=START, end=END, tz=TZ)
    # the report itself, not only the reference figures, moves with its thresholds
    assert strict["totals"]["short_abandoned"] < default["totals"]["short_abandoned"]
    assert strict["totals"]["service_level"] < default["totals"]["service_level"]
    assert default["totals"] == expected_contacts(dataset, START, END, TZ)["totals"]
    assert strict["totals"]["received"] == default["totals"]["received"]      # the same calls, counted otherwise


async def test_thresholds_match(pool, dataset):
    got = await summary(pool, start=START, end=END, tz=TZ, short_abandon_s=2, service_level_s=10)
    want = expected_contacts(dataset, START, END, TZ, short_abandon_s=2, service_level_s=10)
    assert got["totals"] == want["totals"]
    assert got["by_branch"] == want["by_branch"]


async def test_other_report_zone_groups_by_its_own_days(pool, dataset):
    start, end = datetime(2021, 9, 1, tzinfo=ZoneInfo("America/New_York")), datetime(2021, 9, 3, tzinfo=UTC)
    got = await summary(pool, start=start, end=end, tz="America/New_York")
    want = expected_contacts(dataset, start, end, "America/New_York")
    assert [row["day"] for row in got["by_day"]] == ["2021-09-01", "2021-09-02"]
    assert got["by_day"] == want["by_day"]


async def test_session_time_zone_does_not_matter(pg_cluster, dataset):
    pool = await _fresh_pool(pg_cluster, server_settings={"timezone": "America/Los_Angeles"})
    try:
        async with pool.acquire() as con:
            await load(con, dataset)
        got = await summary(pool, start=START, end=END, tz=TZ)
    finally:
        await pool.close()
    assert got["by_day"] == expected_contacts(dataset, START, END, TZ)["by_day"]


async def test_result_is_json_safe(report):
    assert json.loads(json.dumps(report)) == report
    assert report["range"] == {"start": "2021-08-31T17:00:00+00:00", "end": "2021-09-03T17:00:00+00:00",
                               "tz": TZ, "short_abandon_s": 5, "service_level_s": 20}


# -- boundaries and empty ranges ------------------------------------------------------------

async def test_range_end_excluded_and_local_day(pg_cluster):
    pool = await _fresh_pool(pg_cluster)
    late_evening = datetime(2021, 9, 1, 23, 30, tzinfo=LOCAL)    # 16:30 UTC: still 1 September locally
    calls = [("at-start", 2, "cdc", False, START, None, START + timedelta(seconds=9), None, 30, None,
              "abandoned_queue"),
             ("late-evening", 3, "doctors", False, late_evening, None, late_evening + timedelta(hours=1), None,
              None, None, "abandoned_ivr"),
             ("at-end", 2, "cdc", False, END, None, END + timedelta(seconds=5), None, 2, None, "short_abandon"),
             ("just-before", 4, "violations", False, START - timedelta(microseconds=1), None, START, None, None,
              None, "abandoned_ivr")]
    try:
        async with pool.acquire() as con:
            await load(con, Dataset(calls=calls))
        got = await summary(pool, start=START, end=END, tz=TZ)
    finally:
        await pool.close()
    assert got["totals"]["received"] == 2
    first_day = got["by_day"][0]
    assert (first_day["day"], first_day["received"], first_day["abandoned_ivr"]) == ("2021-09-01", 2, 1)
    assert [row["received"] for row in got["by_day"][1:]] == [0, 0]


async def test_empty_denominators_are_null(pg_cluster):
    pool = await _fresh_pool(pg_cluster)
    try:
        got = await summary(pool, start=START, end=END, tz=TZ)
    finally:
        await pool.close()
    totals = got["totals"]
    assert totals["received"] == 0 and totals["forwarded_by_agency"] == []
    assert [totals[m] for m in ("success_rate", "service_level", "asa_s", "aht_s")] == [None] * 4
    assert got["agents"] == [] and got["agents_total"]["occupancy"] is None


async def test_bad_range_is_refused(pool):
    with pytest.raises(ValueError, match="before"):
        await summary(pool, start=END, end=START)
    with pytest.raises(ValueError, match="time zone"):
        await summary(pool, start=START, end=END, tz="Mars/Olympus")


# -- CSV ------------------------------------------------------------------------------------

async def test_csv_parses_back_to_the_json(pool, report):
    text = await summary_csv(pool, start=START, end=END, tz=TZ)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == len(report["by_day_branch"])
    for row, want in zip(rows, report["by_day_branch"]):
        assert row["day"] == want["day"] and row["branch"] == ("" if want["branch"] is None else str(want["branch"]))
        for name in MEASURES:
            assert row[name] == ("" if want[name] is None else str(want[name])), name
        assert json.loads(row["forwarded_by_agency"]) == want["forwarded_by_agency"]


# -- over HTTP ------------------------------------------------------------------------------

@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(pool) -> AsyncIterator[TestClient]:
    await pool.executemany(
        "INSERT INTO agents (ext, name, role, password_hash, sip_password) VALUES ($1, $1, $2, 'pbkdf2_sha256$x', 'x')",
        [("1001", "agent"), ("2001", "supervisor"), ("9001", "admin")])
    # The console's real app (middlewares: JSON errors, bearer auth), plus these routes.
    app = init_app(ConsoleConfig(), lambda: pool, AllUp())
    async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
        yield test_client


async def _get(client: TestClient, pool, ext: str, query: str):
    token, _ = await create_session(pool, ext, 600)
    return await client.get(f"/api/v1/reports/summary?{query}", headers={"Authorization": f"Bearer {token}"})


async def _as_served(pool, report: dict) -> dict:
    """What the summary route serves: the report plus the worklist's figures of the same range."""
    return {**report, "followups": await followup_report(pool, START, END)}


async def test_http_json_equals_summary(client, pool, report):
    resp = await _get(client, pool, "2001", "from=2021-09-01&to=2021-09-03")
    assert resp.status == 200
    assert await resp.json() == await _as_served(pool, report)


async def test_http_csv_matches_json(client, pool, report):
    resp = await _get(client, pool, "9001", "from=2021-09-01&to=2021-09-03&format=csv")
    assert resp.status == 200 and resp.content_type == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(await resp.text())))
    assert [int(row["received"]) for row in rows] == [want["received"] for want in report["by_day_branch"]]


async def test_http_agent_is_forbidden(client, pool):
    resp = await _get(client, pool, "1001", "from=2021-09-01&to=2021-09-03")
    assert resp.status == 403
    assert "supervisors" in (await resp.json())["error"]


async def test_http_without_token_is_401(client):
    resp = await client.get("/api/v1/reports/summary?from=2021-09-01&to=2021-09-03")
    assert resp.status == 401


@pytest.mark.parametrize("query, names", [
    ("to=2021-09-03", "from"),
    ("from=2021-09-01", "to"),
    ("from=01/09/2021&to=2021-09-03", "from"),
    ("from=2021-09-01&to=20210903", "to"),
    ("from=2021-02-30&to=2021-03-03", "from"),
    ("from=2021-09-03&to=2021-09-01", "from"),
    ("from=2021-01-01&to=2022-01-02", "to"),
    ("from=2021-01-01&to=9999-12-31", "to"),
    ("from=2021-09-01&to=2021-09-03&format=xml", "format"),
    ("from=2021-09-01&to=2021-09-03&short_abandon_s=-1", "short_abandon_s"),
    ("from=2021-09-01&to=2021-09-03&short_abandon_s=5.5", "short_abandon_s"),
    ("from=2021-09-01&to=2021-09-03&service_level_s=601", "service_level_s"),
    ("from=2021-09-01&to=2021-09-03&service_level_s=%3Cb%3E", "service_level_s"),
])
async def test_http_bad_query_is_400_naming_the_parameter(client, pool, query, names):
    resp = await _get(client, pool, "2001", query)
    assert resp.status == 400
    assert names in (await resp.json())["error"]


async def test_http_thresholds_come_from_the_query_else_the_configuration(client, pool):
    query = "from=2021-09-01&to=2021-09-03"
    strict = await summary(pool, start=START, end=END, tz=TZ, short_abandon_s=0, service_level_s=600)
    resp = await _get(client, pool, "2001", query + "&short_abandon_s=0&service_level_s=600")
    assert resp.status == 200 and await resp.json() == await _as_served(pool, strict)
    configured = await summary(pool, start=START, end=END, tz=TZ, short_abandon_s=10)
    assert configured["totals"]["short_abandoned"] != strict["totals"]["short_abandoned"]   # the data tells them apart
    app = init_app(ConsoleConfig(short_abandon_s=10), lambda: pool, AllUp())
    async with TestClient(TestServer(app, host="127.0.0.1")) as other:
        resp = await _get(other, pool, "2001", query)
        assert resp.status == 200 and await resp.json() == await _as_served(pool, configured)


async def test_one_report_at_a_time_and_a_clear_503_when_the_slot_stays_taken(client, pool):
    from agent_console.keys import REPORT_SLOT   # (`client` puts the people in the database)

    app = init_app(ConsoleConfig(report_wait_s=2), lambda: pool, AllUp())
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        async with app[REPORT_SLOT]:                # another supervisor's report is being computed
            resp = await _get(client, pool, "2001", "from=2021-09-01&to=2021-09-03")
            assert resp.status == 503 and "another report" in (await resp.json())["error"]
            waiting = asyncio.ensure_future(_get(client, pool, "2001", "from=2021-09-01&to=2021-09-01"))
            await asyncio.sleep(0.3)                # a window in which it must NOT be answered:
            assert not waiting.done()               # queued behind it, not refused yet
        resp = await waiting                        # the slot came free within report_wait_s
        assert resp.status == 200
        assert (await _get(client, pool, "2001", "from=2021-09-01&to=2021-09-03")).status == 200


async def test_http_366_days_is_allowed(client, pool):
    resp = await _get(client, pool, "2001", "from=2020-01-01&to=2020-12-31")   # a leap year
    assert resp.status == 200
    assert len((await resp.json())["by_day"]) == 366


async def test_sql_agrees_with_the_hand_counted_set(pg_cluster):
    pool = await _fresh_pool(pg_cluster)
    try:
        async with pool.acquire() as con:
            await load(con, HAND)
        day = await summary(pool, start=START, end=START + timedelta(days=1), tz=TZ)
        agents = await summary(pool, start=T0 + timedelta(seconds=50), end=T0 + timedelta(seconds=300), tz=TZ)
    finally:
        await pool.close()
    totals = day["totals"]
    assert (totals["received"], totals["success_rate"], totals["service_level"]) == (6, 0.8, 0.5)
    assert (totals["asa_s"], totals["aht_s"]) == (20.0, 165.0)
    assert [(a["ext"], a["occupancy"], a["paused_s"]) for a in agents["agents"]] == [("1001", 0.4444, 70.0)]


async def test_bench_runs_on_a_small_month(pg_cluster):
    name = f"ivr1022_bench_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    figures = await bench_reports(pg_cluster.dsn(name), calls=2000)
    assert figures["calls"] == 2000 and figures["runs"] == 5
    assert figures["received"] > 2000 and 0 < figures["summary_median_s"] <= figures["summary_max_s"]
