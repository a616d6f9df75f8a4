"""Issue 14, the pure side of the SMS channel: UDH concatenation, the keyword's branch, the replies,
the fake SMSC's log lines, the Kannel config and the settings."""
from __future__ import annotations

from pathlib import Path

import pytest

from db.sms_text import Concat, branch_of, concat_of, plain, received_reply
from ivr.config import Settings, SettingsError
from ivr.sms_gateway import kannel_options, sms_sender
from runtime.kannel import kannel_conf
from tests.fixtures.kannel import mt_of


@pytest.mark.parametrize("udh,want", [
    ("0500032A0201", Concat(0x2A, 2, 1)), ("0608041234030", None), ("060804123403 03", Concat(0x1234, 3, 3)),
    ("0500032A0203", None), ("", None), ("zz", None), ("050003", None), ("0500032A0100", None)])
def test_concatenation_from_the_udh(udh, want):
    assert concat_of(udh) == want


@pytest.mark.parametrize("text,branch", [("BS toi bi sot", 3), ("bacsi: F0", 3), ("Vi phạm giãn cách", 2),
                                         ("VIPHAM quan karaoke", 4), ("vp. tụ tập", 4), ("", 2), ("xin hỏi", 2),
                                         ("BÁCSĨ ơi", 3)])
def test_the_first_word_picks_the_branch(text, branch):
    assert branch_of(text)[0] == branch


def test_replies_are_gsm_letters_and_carry_the_code():
    reply = received_reply("AB23CD45")
    assert "AB23CD45" in reply and reply.isascii() and len(reply) <= 160
    assert plain("Đặng Thị Ánh") == "Dang Thi Anh"


def test_fakesmsc_lines_are_read_back():
    assert mt_of("INFO: Got message 1: <1022 0912 text Ma tra cuu: X>").text == "Ma tra cuu: X"
    ucs2 = "%00C%00h%00%E0%00o%00+%00b%1E%A1%00n"
    assert mt_of(f"DEBUG: Got message 2: <1022 0912 ucs-2 {ucs2}>").text == "Chào bạn"
    assert mt_of("INFO: fakesmsc: sent message 1") is None


def test_settings_and_kannel_config(tmp_path: Path):
    off = Settings.from_env({"IVR_STATE_DIR": str(tmp_path)})
    assert (off.sms, off.sms_secret, sms_sender(off)) == (False, "", None)
    on = Settings.from_env({"IVR_STATE_DIR": str(tmp_path), "IVR_SMS": "on", "IVR_KANNEL_PORT": "14000"})
    assert on.sms_own_gateway and on.sms_secret and on.sms_send_url.startswith("http://127.0.0.1:14002/cgi-bin/sendsms?")
    assert Settings.from_env({"IVR_STATE_DIR": str(tmp_path), "IVR_SMS": "on"}).sms_secret == on.sms_secret  # kept
    conf = kannel_conf(kannel_options(on), tmp_path)
    assert "admin-port = 14000" in conf and "sendsms-port = 14002" in conf and "port = 14003" in conf
    assert f"secret={on.sms_secret}" in conf and "our-host = 127.0.0.1" in conf and "mo-recode = true" in conf
    other = Settings.from_env({"IVR_STATE_DIR": str(tmp_path), "IVR_SMS": "on",
                               "IVR_SMS_SEND_URL": "http://127.0.0.1:13013/cgi-bin/sendsms?username=a&password=b"})
    assert not other.sms_own_gateway
    for env, word in (({"IVR_SMS": "maybe"}, "IVR_SMS"), ({"IVR_SMS_NUMBER": "abc"}, "IVR_SMS_NUMBER"),
                      ({"IVR_SMS_SMSC": str(tmp_path / "none.conf")}, "IVR_SMS_SMSC"),
                      ({"IVR_SMS": "on", "IVR_SMS_SEND_URL": "ftp://x"}, "IVR_SMS_SEND_URL")):
        with pytest.raises(SettingsError, match=word):
            Settings.from_env({"IVR_STATE_DIR": str(tmp_path), **env})
