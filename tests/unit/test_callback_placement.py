"""The keep-place rules on literal values: where a placeholder re-enters, what ids and results mean."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ivr.agi.routes.callback_request import parse_request
from ivr.callbacks import placement
from ivr.callbacks.placement import WaitingEntry, position_for

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_placeholder_goes_behind_earlier_callers_and_ahead_of_later_ones() -> None:
    waiting = [WaitingEntry(0, at(0)), WaitingEntry(0, at(10)), WaitingEntry(0, at(30))]
    assert position_for(0, at(20), waiting) == 3        # behind the two who joined first
    assert position_for(0, at(-5), waiting) == 1        # it waited longest: first
    assert position_for(0, at(40), waiting) == 4


def test_priority_comes_before_the_place_in_time() -> None:
    waiting = [WaitingEntry(5, at(50)), WaitingEntry(0, at(0))]
    assert position_for(0, at(10), waiting) == 3         # the repeat caller (5) and the earlier 0
    assert position_for(5, at(10), waiting) == 1         # a priority-5 callback before the later 5


def test_a_placeholder_in_line_counts_at_its_requests_place() -> None:
    now = at(100)
    entries = [{"Uniqueid": "cb-7-123", "Wait": "2", "Priority": "0"},      # re-created 2 s ago, placed at 5
               {"Uniqueid": "1733.4", "Wait": "60", "Priority": "0"}]       # joined at 40
    waiting = placement.waiting_entries(entries, now, {7: at(5)})
    assert waiting == [WaitingEntry(0, at(5)), WaitingEntry(0, at(40))]
    assert position_for(0, at(20), waiting) == 2


@pytest.mark.parametrize("uniqueid, request_id, attempt", [
    ("cb-12-1796164800123", 12, None), ("cb-d3-17", None, 3), ("cb-12-5-2", None, None),
    ("1796164800.17", None, None), ("listen-2001-1001-4", None, None), ("", None, None)])
def test_channel_ids(uniqueid: str, request_id, attempt) -> None:
    assert placement.request_of(uniqueid) == request_id
    assert placement.attempt_of(uniqueid) == attempt


def test_originates_carry_only_digits_and_the_place() -> None:
    row = {"id": 4, "number": "0911000001", "queue": "cdc", "priority": 0, "branch": 2, "language": "en"}
    fields = placement.placeholder_originate(row, 3, 99)
    assert fields["Channel"] == "Local/4@callback-hold/n" and fields["Context"] == "callback-queue"
    assert fields["ChannelId"] == "cb-4-99" and "CB_POSITION=3" in fields["Variable"]
    dial = placement.citizen_originate("0911000001", 8, 5, "Local/4@callback-hold-00000001;2", 30)
    assert dial["Channel"] == "Local/0911000001@citizen-out/n" and dial["Data"].startswith("Local/4@callback-hold")
    with pytest.raises(ValueError):
        placement.citizen_originate("09;Hangup", 8, 5, "x;2", 30)
    with pytest.raises(ValueError):
        placement.placeholder_originate({**row, "number": "12"}, 1, 1)


@pytest.mark.parametrize("event, status, result", [
    ({"Response": "Success"}, None, "answered"), ({"Response": "Failure", "Reason": "1"}, "NOANSWER", "no_answer"),
    ({"Response": "Failure", "Reason": "5"}, None, "busy"), ({"Response": "Failure", "Reason": "1"}, "BUSY", "busy"),
    ({"Response": "Failure", "Reason": "0"}, "CHANUNAVAIL", "failed")])
def test_dial_results(event, status, result) -> None:
    assert placement.dial_result(event, status) == result


def test_the_agi_arguments_make_a_request_or_none() -> None:
    now = at(100)
    new = parse_request(["0911000001", "2", "cdc", "en", "5", str(int(at(40).timestamp())), "3", "L1"], "U1", now)
    assert (new.number, new.branch, new.queue, new.language, new.priority) == ("0911000001", 2, "cdc", "en", 5)
    assert new.place_at == at(40) and new.queue_position == 3 and new.original_linkedid == "L1"
    assert parse_request(["09", "2", "cdc", "vi", "0", "", "", ""], "U1", now) is None          # too short
    assert parse_request(["0911000001", "2", "doctors", "vi", "0", "", "", ""], "U1", now) is None  # wrong queue
    assert parse_request(["0911000001", "3"], "U1", now) is None
    later = parse_request(["0911000001", "3", "doctors", "fr", "x", "99999999999", "", ""], "U1", now)
    assert later.place_at == now and later.language == "vi" and later.priority == 0 and later.original_linkedid == "U1"
