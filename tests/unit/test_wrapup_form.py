"""Validation of the wrap-up form and of a pause reason (pure)."""
import pytest

from agent_console.api.agents import parse_reason
from agent_console.api.wrapups import WrapupForm, parse_wrapup
from agent_console.errors import ApiError


def test_a_forwarded_wrap_up_with_agency_is_accepted_and_trimmed():
    form = parse_wrapup({"category": " tiêm chủng ", "outcome": "forwarded", "agency": "CDC Hà Nội",
                         "notes": "line 1\nline 2"})
    assert form == WrapupForm("tiêm chủng", "forwarded", "CDC Hà Nội", "line 1\nline 2")


def test_optional_fields_may_be_missing():
    assert parse_wrapup({"category": "test", "outcome": "answered"}) == WrapupForm("test", "answered", None, "")


@pytest.mark.parametrize("body, field", [
    ({"category": "x", "outcome": "maybe"}, "outcome"),
    ({"category": "x"}, "outcome"),
    ({"outcome": "answered"}, "category"),
    ({"category": "x", "outcome": "forwarded"}, "agency"),
    ({"category": "x", "outcome": "forwarded", "agency": "  "}, "agency"),
    ({"category": "x", "outcome": "answered", "notes": "n" * 2001}, "notes"),
    ({"category": "x", "outcome": "answered", "notes": 5}, "notes"),
    ({"category": "x\r\nInjected: 1", "outcome": "answered"}, "category"),
    ({"category": "x", "outcome": "answered", "priority": "high"}, "priority"),
    (["category", "outcome"], "JSON object"),
])
def test_bad_wrap_ups_name_the_field(body, field):
    with pytest.raises(ApiError) as caught:
        parse_wrapup(body)
    assert caught.value.status == 400 and field in caught.value.message


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x" * 41}, {"reason": 3}, {"reason": "a\tb"}])
def test_bad_pause_reasons(body):
    with pytest.raises(ApiError) as caught:
        parse_reason(body)
    assert caught.value.status == 400 and "reason" in caught.value.message


def test_pause_reason_is_trimmed():
    assert parse_reason({"reason": "  họp giao ban "}) == "họp giao ban"
