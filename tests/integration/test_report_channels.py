"""Issue 14: the report summary counts a day's phone calls, web requests and SMS requests separately
and in total, equal to a hand count of this test's data; the success rate covers every channel."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from db.reports import summary
from tests.bench.dataset import Dataset, load
from tests.integration.test_reports import END, LOCAL, START, TZ, _fresh_pool

pytestmark = pytest.mark.integration

DAY = datetime(2021, 9, 2, 9, 0, tzinfo=LOCAL)            # the range's second local day


def call(n: int, branch: int, outcome: str, at: datetime) -> tuple:
    answered = at + timedelta(seconds=10) if outcome == "answered" else None
    return (f"ch-{n}", branch, {2: "cdc", 3: "doctors", 4: "violations"}[branch], False, at, answered,
            at + timedelta(minutes=3), "1001" if answered else None, 10 if answered else 40,
            170 if answered else None, outcome)


async def test_a_days_phone_web_and_sms_are_counted_apart_and_together(pg_cluster):
    calls = [call(1, 2, "answered", DAY), call(2, 3, "abandoned_queue", DAY + timedelta(minutes=5)),
             call(3, 4, "answered", DAY + timedelta(hours=2))]
    wrapups = [("ch-1", "1001", "info", "resolved", None, "1001", DAY + timedelta(minutes=4))]
    pool = await _fresh_pool(pg_cluster)
    try:
        async with pool.acquire() as con:
            await load(con, Dataset(calls=calls, wrapups=wrapups))
            tickets = [  # channel, branch, status, created_at
                ("phone", 2, "open", DAY), ("web", 2, "closed", DAY), ("web", 3, "open", DAY),
                ("sms", 2, "closed", DAY), ("sms", 2, "forwarded", DAY), ("sms", 4, "open", DAY),
                ("sms", 3, "open", DAY + timedelta(hours=3)),
                ("web", 2, "open", DAY + timedelta(days=1)),                 # the next day
                ("sms", 2, "open", START - timedelta(minutes=1)),            # before the range: not counted
            ]
            await con.executemany(
                """INSERT INTO tickets (channel, branch, category, status, created_by, created_at, updated_at)
                   VALUES ($1, $2, 'x', $3, 'test', $4, $4)""", tickets)
        got = await summary(pool, start=START, end=END, tz=TZ)
    finally:
        await pool.close()
    day = next(row for row in got["by_day"] if row["day"] == "2021-09-02")
    # Hand count of 2 September: 3 calls + 1 phone ticket, 2 web, 4 sms.
    assert day["by_channel"] == {"phone": 4, "web": 2, "sms": 4}
    assert day["received"] == 10 == sum(day["by_channel"].values())
    assert got["totals"]["by_channel"] == {"phone": 4, "web": 3, "sms": 4}
    assert got["totals"]["received"] == 11
    sms_branch_2 = next(row for row in got["by_day_branch"] if (row["day"], row["branch"]) == ("2021-09-02", 2))
    assert sms_branch_2["by_channel"] == {"phone": 2, "web": 1, "sms": 2}
    # Succeeded on the day: the resolved call, the closed web request, the closed and the forwarded sms.
    assert day["succeeded"] == 4 and float(day["success_rate"]) == pytest.approx(4 / 10)
