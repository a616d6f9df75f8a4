"""An agency's phone (migration 024): the admin API's validation, and the FastAGI route's choice of the
number a transferred caller is dialled on (ivr/agi/routes/agency_transfer.py)."""
from __future__ import annotations

import pytest

from agent_console.api.agencies import parse_agency, parse_phone
from agent_console.errors import ApiError
from ivr.agi.routes.agency_transfer import agency_id_of, transfer_number


@pytest.mark.parametrize("raw, stored", [("113", "113"), ("02437654321", "02437654321"), ("8" * 15, "8" * 15),
                                         ("", ""), (None, "")])
def test_a_phone_is_3_to_15_digits_and_null_or_blank_clears_it(raw, stored):
    assert parse_phone(raw) == stored


@pytest.mark.parametrize("raw", ["12", "1" * 16, "024 3765 4321", "+8424376543", "024-376", "１２３４",
                                 "113\n", " 113", 113, 11.3, True, ["113"], {"n": "113"}])
def test_anything_else_is_a_400_naming_phone(raw):
    with pytest.raises(ApiError) as refused:
        parse_phone(raw)
    assert refused.value.status == 400 and "phone" in str(refused.value)


def test_the_edit_sets_clears_or_leaves_the_phone():
    assert parse_agency({"phone": "0241234567"}, creating=False).phone == "0241234567"
    assert parse_agency({"phone": None}, creating=False).phone == ""     # null clears it, unlike other fields
    assert parse_agency({"active": True}, creating=False).phone is None  # not given: left as it is
    made = parse_agency({"name": "Sở Y tế", "branches": [2], "phone": "0243998877"}, creating=True)
    assert (made.name, made.phone) == ("Sở Y tế", "0243998877")
    with pytest.raises(ApiError, match="contact must not be null"):
        parse_agency({"contact": None, "phone": None}, creating=False)


@pytest.mark.parametrize("args, agency_id", [(["7"], 7), (["123456789"], 123456789), ([], None), ([""], None),
                                             (["1234567890"], None), (["7a"], None), (["-7"], None), (["٧"], None)])
def test_the_route_takes_only_a_plain_agency_id(args, agency_id):
    assert agency_id_of(args) == agency_id


def _entry(**overrides):
    return {"id": 7, "name": "Công an phường Láng Hạ", "active": True, "phone": "0243111222", **overrides}


def test_the_number_is_the_directorys_and_refusals_dial_nothing():
    assert transfer_number(_entry()) == ("0243111222", None)
    assert transfer_number(None) == ("", "not in the directory")
    assert transfer_number(_entry(active=False)) == ("", "no longer active")
    assert transfer_number(_entry(phone=None)) == ("", "no phone number")
