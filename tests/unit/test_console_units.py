"""agent_console pure helpers: query validation, config, health body, the page's escaping."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from agent_console.api.calls import _limit, _timestamp
from agent_console.config import ConsoleConfig
from agent_console.errors import ApiError
from agent_console.openapi import DOCUMENT


@pytest.mark.parametrize("raw,expected", [(None, 100), ("1", 1), ("500", 500)])
def test_limit_accepts(raw, expected):
    assert _limit(raw, 100, 500) == expected


@pytest.mark.parametrize("raw", ["", "0", "501", "-5", "1.5", "ten", " 5", "²", "٣", "99999999999"])
def test_limit_rejects_with_400(raw):
    with pytest.raises(ApiError) as info:
        _limit(raw, 100, 500)
    assert info.value.status == 400


def test_timestamp_parsing():
    assert _timestamp("2021-08-19T08:00:00Z") == datetime(2021, 8, 19, 8, tzinfo=timezone.utc)
    # A '+' in a query string arrives as a space.
    assert _timestamp("2021-08-19T15:00:00 07:00") == datetime(2021, 8, 19, 8, tzinfo=timezone.utc)
    assert _timestamp("2021-08-19T08:00:00") == datetime(2021, 8, 19, 8, tzinfo=timezone.utc)
    assert _timestamp(None) is None
    with pytest.raises(ApiError):
        _timestamp("last tuesday")


def test_config_validation_and_from_settings():
    with pytest.raises(ValueError):
        ConsoleConfig(session_ttl_s=1)

    class Settings:
        console_session_ttl_s = 3600
        http_port = 8080

    assert ConsoleConfig.from_settings(Settings()).session_ttl_s == 3600
    assert ConsoleConfig.from_settings(object()) == ConsoleConfig()

    class ControllerSettings:
        short_abandon_s = 12       # IVR_SHORT_ABANDON: the reports use the call records' threshold

    assert ConsoleConfig.from_settings(ControllerSettings()).short_abandon_s == 12


def test_openapi_document_is_3_1_with_bearer_auth():
    assert DOCUMENT["openapi"] == "3.1.0"
    assert DOCUMENT["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert DOCUMENT["paths"]["/api/v1/auth/login"]["post"]["security"] == []
