import pytest

from ivr.config import Settings, SettingsError


def test_defaults(tmp_path):
    settings = Settings.from_env({"IVR_STATE_DIR": str(tmp_path)})
    assert (settings.http_port, settings.sip_port, settings.ami_port, settings.agi_port) == (8080, 5060, 5038, 4573)
    assert settings.emergency_uri == "sip:115@127.0.0.1:5090"
    assert settings.database_url is None
    assert (settings.menu_repeats, settings.survey) == (1, True)
    assert settings.timezone == "Asia/Ho_Chi_Minh"


def test_menu_repeats_and_survey_switch(tmp_path):
    settings = Settings.from_env({"IVR_STATE_DIR": str(tmp_path), "IVR_MENU_REPEATS": "3", "IVR_SURVEY": "off"})
    assert (settings.menu_repeats, settings.survey) == (3, False)


def test_the_hotline_time_zone_reaches_the_console(tmp_path):
    from agent_console.config import ConsoleConfig
    settings = Settings.from_env({"IVR_STATE_DIR": str(tmp_path), "IVR_TIMEZONE": "Asia/Bangkok",
                                  "IVR_WRAPUP_LIMIT": "90"})
    config = ConsoleConfig.from_settings(settings)
    assert (config.timezone, config.wrapup_limit_s) == ("Asia/Bangkok", 90)
    with pytest.raises(ValueError, match="time zone"):
        ConsoleConfig(timezone="Hanoi")


def test_ami_secret_generated_once_and_private(tmp_path):
    first = Settings.from_env({"IVR_STATE_DIR": str(tmp_path)})
    second = Settings.from_env({"IVR_STATE_DIR": str(tmp_path)})
    assert first.ami_secret == second.ami_secret and len(first.ami_secret) >= 24
    assert (first.secret_file("ami_secret").stat().st_mode & 0o777) == 0o600
    assert first.ami_secret not in repr(first)


@pytest.mark.parametrize("name, value, message", [
    ("IVR_HTTP_PORT", "eighty", "whole number"),
    ("IVR_SIP_PORT", "70000", "between 1 and 65535"),
    ("IVR_EMERGENCY_URI", "tel:115", "sip:user@host"),
    ("IVR_TRUNK_NETWORK", "localhost", "network"),
    ("DATABASE_URL", "mysql://x/y", "postgresql://"),
    ("IVR_MENU_REPEATS", "4", "IVR_MENU_REPEATS must be between 0 and 3"),
    ("IVR_SURVEY", "maybe", "IVR_SURVEY must be on or off"),
    ("IVR_TIMEZONE", "Hanoi/Vietnam", "IANA time zone"),
    ("IVR_TIMEZONE", "../etc/passwd", "IANA time zone"),
    ("IVR_ASTERISK_NICE", "20", "IVR_ASTERISK_NICE must be between 0 and 19"),
])
def test_bad_settings_name_the_variable(tmp_path, name, value, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"IVR_STATE_DIR": str(tmp_path), name: value})


def test_outbound_uri_default_and_validation(tmp_path) -> None:
    assert Settings.from_env({"IVR_STATE_DIR": str(tmp_path)}).outbound_uri == "sip:127.0.0.1:5095"
    good = Settings.from_env({"IVR_STATE_DIR": str(tmp_path), "IVR_OUTBOUND_URI": "sip:10.0.0.7:5070"})
    assert good.outbound_uri == "sip:10.0.0.7:5070"
    for bad in ("127.0.0.1:5095", "sip:", "sip:host;transport=tcp", "sip:a b", "http://x"):
        with pytest.raises(SettingsError, match="IVR_OUTBOUND_URI"):
            Settings.from_env({"IVR_STATE_DIR": str(tmp_path), "IVR_OUTBOUND_URI": bad})


def test_followup_ring_time_default_and_bounds(tmp_path) -> None:
    assert Settings.from_env({"IVR_STATE_DIR": str(tmp_path)}).followup_ring_s == 30
    assert Settings.from_env({"IVR_STATE_DIR": str(tmp_path), "IVR_FOLLOWUP_RING_S": "45"}).followup_ring_s == 45
    for bad in ("4", "121", "soon"):
        with pytest.raises(SettingsError, match="IVR_FOLLOWUP_RING_S"):
            Settings.from_env({"IVR_STATE_DIR": str(tmp_path), "IVR_FOLLOWUP_RING_S": bad})


def test_asterisk_is_niced_by_default_and_0_is_normal_priority(tmp_path):
    assert Settings.from_env({"IVR_STATE_DIR": str(tmp_path)}).asterisk_nice == 10
    assert Settings.from_env({"IVR_STATE_DIR": str(tmp_path), "IVR_ASTERISK_NICE": "0"}).asterisk_nice == 0
