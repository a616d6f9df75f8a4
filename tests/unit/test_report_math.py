"""The report's pure parts: range parsing, local-day bounds, CSV, row shaping, and the Python
reference figures (tests/bench/dataset.py) on a hand-counted data set."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from agent_console.api.reports import local_bounds, parse_range
from agent_console.errors import ApiError
from db.reports import (
    CSV_COLUMNS,
    MEASURES,
    check_range,
    rows_to_csv,
    shape_agents,
    shape_contacts,
)
from tests.bench.dataset import Dataset, expected_agents, expected_contacts

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = timezone.utc


def test_local_bounds_are_local_midnights_to_inclusive():
    start, end = local_bounds(date(2021, 9, 1), date(2021, 9, 3), "Asia/Ho_Chi_Minh")
    assert start.astimezone(UTC) == datetime(2021, 8, 31, 17, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2021, 9, 3, 17, tzinfo=UTC)


def test_local_bounds_follow_daylight_saving():
    start, end = local_bounds(date(2021, 3, 28), date(2021, 3, 28), "Europe/Berlin")
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)   # clocks go forward


def test_parse_range_accepts_one_day_and_366_days():
    assert parse_range("2021-09-01", "2021-09-01") == (date(2021, 9, 1), date(2021, 9, 1))
    assert parse_range("2020-01-01", "2020-12-31")[1] == date(2020, 12, 31)


@pytest.mark.parametrize("raw_from, raw_to, named", [
    (None, "2021-09-01", "from"), ("2021-09-01", "", "to"), ("2021-9-1", "2021-09-01", "from"),
    ("2021-09-01", "2021-09-01T00:00", "to"), ("2021-09-02", "2021-09-01", "from"),
    ("2021-01-01", "2022-01-02", "to"), ("２０２１-09-01", "2021-09-01", "from"),
])
def test_parse_range_refuses_with_the_parameter_named(raw_from, raw_to, named):
    with pytest.raises(ApiError) as caught:
        parse_range(raw_from, raw_to)
    assert caught.value.status == 400 and named in caught.value.message


def test_check_range_takes_naive_as_utc_and_refuses_empty():
    start, end = check_range(datetime(2021, 9, 1), datetime(2021, 9, 2), "UTC")
    assert start.tzinfo == UTC and end - start == timedelta(days=1)
    with pytest.raises(ValueError):
        check_range(start, start, "UTC")


def _row(day, branch, all_days, all_branches, received):
    row = {name: None for name in MEASURES}
    row.update(day=day, branch=branch, all_days=all_days, all_branches=all_branches, received=received,
               success_rate=Decimal("0.7013"), forwarded_by_agency='[{"agency": null, "forwarded": 2}]')
    return row


def test_shape_contacts_sorts_grouping_sets_and_null_branch():
    shaped = shape_contacts([_row(date(2021, 9, 1), 0, 0, 0, 3), _row(date(2021, 9, 1), None, 0, 1, 3),
                             _row(None, 0, 1, 0, 3), _row(None, None, 1, 1, 3)])
    assert shaped["by_day_branch"][0]["branch"] is None and shaped["by_day"][0]["day"] == "2021-09-01"
    assert shaped["totals"]["success_rate"] == 0.7013
    assert shaped["by_branch"][0]["forwarded_by_agency"] == [{"agency": None, "forwarded": 2}]


def test_shape_agents_splits_overall_row_and_flattens_pauses():
    rows = [{"ext": "1001", "all_agents": False, "occupancy": Decimal("0.5"),
             "pauses": '[{"reason": "lunch", "paused_s": 70.0}, {"reason": null, "paused_s": 1.5}]'},
            {"ext": None, "all_agents": True, "occupancy": None, "pauses": "[]"}]
    shaped = shape_agents(rows)
    assert shaped["agents"] == [{"ext": "1001", "occupancy": 0.5}]
    assert shaped["agents_total"] == {"occupancy": None}
    assert shaped["pauses"] == {"by_agent": [{"ext": "1001", "reason": "lunch", "paused_s": 70.0},
                                             {"ext": "1001", "reason": None, "paused_s": 1.5}], "by_reason": []}


def test_csv_escapes_and_reads_back():
    row = {name: 1 for name in MEASURES} | {"day": "2021-09-01", "branch": None, "aht_s": None,
                                             "forwarded_by_agency": [{"agency": 'Sở "Y tế", HN', "forwarded": 1}]}
    parsed = list(csv.DictReader(io.StringIO(rows_to_csv([row]))))
    assert tuple(parsed[0]) == CSV_COLUMNS
    assert parsed[0]["branch"] == "" and parsed[0]["aht_s"] == ""
    assert json.loads(parsed[0]["forwarded_by_agency"])[0]["agency"] == 'Sở "Y tế", HN'


# -- the Python reference on a data set counted by hand -------------------------------------

T0 = datetime(2021, 9, 1, 9, tzinfo=VN)


def _call(lid, outcome, wait=None, talk=None, branch=2, at=T0):
    return (lid, branch, "cdc", False, at, None, at + timedelta(minutes=5), "1001", wait, talk, outcome)


HAND = Dataset(
    calls=[_call("a", "answered", Decimal("10"), Decimal("100")),
           _call("b", "answered", Decimal("30"), Decimal("200")),
           _call("c", "short_abandon", Decimal("2")),
           _call("d", "transferred_115", branch=1),
           _call("e", "abandoned_ivr", branch=None, at=datetime(2021, 9, 1, 23, 30, tzinfo=VN))],
    wrapups=[("a", "1001", "info", "resolved", None, "1001", T0),
             ("b", "1001", "info", "forwarded", "CDC", "1001", T0)],
    states=[("1001", "on_call", None, "a", T0, T0 + timedelta(seconds=100)),
            ("1001", "wrap_up", None, "a", T0 + timedelta(seconds=100), T0 + timedelta(seconds=130)),
            ("1001", "ready", None, None, T0 + timedelta(seconds=130), T0 + timedelta(seconds=230)),
            ("1001", "paused", "lunch", None, T0 + timedelta(seconds=230), None),
            ("1002", "ready", None, None, T0 + timedelta(seconds=60), T0 + timedelta(seconds=60))],  # zero length
    tickets=[(None, None, "portal", "closed", None, "portal", T0)])


def test_reference_figures_by_hand():
    start, end = datetime(2021, 9, 1, tzinfo=VN), datetime(2021, 9, 2, tzinfo=VN)
    totals = expected_contacts(HAND, start, end, "Asia/Ho_Chi_Minh")["totals"]
    assert (totals["received"], totals["answered"], totals["resolved"], totals["forwarded"]) == (6, 2, 2, 1)
    # succeeded: a (resolved), b (forwarded), d (115), the closed ticket = 4 of 6 - 1 short abandon
    assert totals["success_rate"] == 0.8
    assert (totals["service_level"], totals["asa_s"]) == (0.5, 20.0)
    assert totals["aht_s"] == 165.0            # (100 + 30 wrap-up + 200) / 2
    assert totals["forwarded_by_agency"] == [{"agency": "CDC", "forwarded": 1}]


def test_reference_occupancy_clips_the_open_pause_at_the_end():
    end = T0 + timedelta(seconds=300)
    agents = expected_agents(HAND, T0 + timedelta(seconds=50), end, now=end + timedelta(days=1))
    assert agents["agents"] == [{"ext": "1001", "available_s": 180.0, "on_call_s": 50.0, "wrap_up_s": 30.0,
                                 "paused_s": 70.0, "occupancy": 0.4444}]
    assert agents["pauses"]["by_reason"] == [{"reason": "lunch", "paused_s": 70.0}]
