"""The surge-with-callback bench's arithmetic (tests/bench/surge_callback.py): the callers' split, the
quantiles, and which requests count as reached, pending or lost."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.bench.surge_callback import CallbackLoad, callback_figures, quantile, split_calls, spread_agents

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _request(rid: int, state: str, reached_after_s: float | None = None, **extra) -> dict:
    row = {"id": rid, "state": state, "merged_into": None, "requested_at": T0, "open_attempt": False,
           "reached_at": T0 + timedelta(seconds=reached_after_s) if reached_after_s is not None else None}
    row.update(extra)
    return row


def test_split_spreads_the_callers_over_the_digits_and_the_share_over_each_digit():
    assert split_calls(10, 0.5) == [(2, 2), (1, 2), (1, 2)]     # 4, 3, 3 callers; 1.5 rounds to 2
    assert split_calls(7, 0.0) == [(3, 0), (2, 0), (2, 0)]
    assert split_calls(6, 1.0) == [(0, 2), (0, 2), (0, 2)]
    assert sum(p + c for p, c in split_calls(181, 0.3)) == 181


def test_quantile_interpolates_like_percentile_cont():
    assert quantile([], 0.5) is None
    assert quantile([4.0], 0.9) == 4.0
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert quantile([0.0, 10.0], 0.9) == pytest.approx(9.0)


def test_reached_pending_and_lost_requests():
    requests = [_request(1, "connected", 4), _request(2, "connected", 10), _request(3, "connected", 6),
                _request(4, "to_worklist"),
                _request(5, "waiting"),                        # placeholder in line: pending
                _request(6, "waiting"),                        # no placeholder anywhere: lost
                _request(7, "dialling", open_attempt=True),    # the citizen's phone rings: pending
                _request(8, "dialling"),                       # no attempt open: lost
                _request(9, "retry_wait"),
                _request(10, "cancelled", merged_into=1)]      # the same number again: not a request of its own
    figures = callback_figures(20, {"answered": 5, "abandoned_queue": 4, "short_abandon": 1,
                                    "callback_requested": 9}, requests, in_line={5}, booked_without_row=0)
    assert figures["requests"] == 9 and figures["called_back"] == 3
    assert figures["answered_or_called_back"] == 8 and figures["answered_or_called_back_share"] == 0.4
    assert figures["abandoned"] == 5
    assert figures["request_to_reached_s"] == {"n": 3, "median": 6.0, "p90": 9.2, "max": 10.0}
    assert figures["pending_at_end"] == 3
    assert figures["requests_lost"] == 2 and figures["lost_ids"] == [6, 8]
    assert figures["requests_by_state"]["connected"] == 3


def test_a_booked_call_without_a_request_row_is_lost():
    figures = callback_figures(3, {"callback_requested": 1}, [], in_line=set(), booked_without_row=1)
    assert figures["requests_lost"] == 1
    assert figures["answered_or_called_back_share"] == 0.0
    assert figures["request_to_reached_s"]["median"] is None


def test_no_callers_gives_no_share():
    assert callback_figures(0, {}, [], set(), 0)["answered_or_called_back_share"] is None


def test_agents_are_spread_over_the_first_branches():
    class Person:
        def __init__(self, ext: str, branch: str) -> None:
            self.ext, self.branches = ext, ((branch, 0),)

    people = [Person("1", "cdc"), Person("2", "cdc"), Person("3", "cdc"), Person("4", "doctors"),
              Person("5", "violations"), Person("6", "violations")]
    assert [p.ext for p in spread_agents(people, 4)] == ["1", "4", "5", "2"]
    assert len(spread_agents(people, 10)) == 6


def test_the_callback_share_outside_zero_to_one_is_refused(monkeypatch):
    monkeypatch.setenv("BENCH_CALLBACK_SHARE", "1.5")
    with pytest.raises(ValueError, match="BENCH_CALLBACK_SHARE"):
        CallbackLoad.from_env()
    monkeypatch.setenv("BENCH_CALLBACK_SHARE", "0.25")
    monkeypatch.setenv("BENCH_CB_RATE", "2")
    monkeypatch.setenv("BENCH_CB_DURATION", "30")
    assert CallbackLoad.from_env().calls == 60
