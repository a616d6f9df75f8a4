"""Issue 14, pure parts: Vietnamese phone numbers, tracking codes."""
from __future__ import annotations

import pytest

from agent_console.api.portal import vietnamese_phone
from db.written_requests import CODE_ALPHABET, CODE_LENGTH, new_tracking_code, normal_code


@pytest.mark.parametrize("text, national", [
    ("0912345678", "0912345678"), ("0912 345 678", "0912345678"), ("+84 912 345 678", "0912345678"),
    ("84912345678", "0912345678"), ("0912.345.678", "0912345678"), ("(024) 3825 1234", "02438251234"),
    ("0386 123 456", "0386123456")])
def test_vietnamese_numbers_in_their_usual_spellings(text, national):
    assert vietnamese_phone(text) == national


@pytest.mark.parametrize("text", ["", "12345", "0912", "091234567890", "+1 202 555 0100", "abc", "0" * 40,
                                  "0912345678<script>"])
def test_anything_else_is_not_a_phone(text):
    assert vietnamese_phone(text) is None


def test_codes_are_readable_and_do_not_repeat():
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set(CODE_ALPHABET) & set("01OI") and len(CODE_ALPHABET) == 32
    assert normal_code(" ab2c-d3ef ") == "AB2CD3EF"
