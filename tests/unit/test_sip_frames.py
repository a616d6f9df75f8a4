"""The relay's SIP frame parser and identity pin (issue 15), fed literal frames as JsSIP and Asterisk send them."""
from __future__ import annotations

import pytest

from agent_console.sip_frames import (
    MAX_SIP_FRAME,
    SipFrameError,
    SipRequest,
    SipResponse,
    parse_frame,
)
from agent_console.sip_pin import MAX_ADDRESSED, PhonePins, SipIdentityPin

# JsSIP's REGISTER after the 401: From/To the configured uri, a made-up Contact user, a .invalid Via host.
JSSIP_REGISTER = (
    "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/WS 8fk2mq0d3r1s.invalid;branch=z9hG4bK1234567\r\n"
    "Max-Forwards: 69\r\n"
    "To: <sip:1002-web@127.0.0.1>\r\n"
    'From: "1002" <sip:1002-web@127.0.0.1>;tag=a1b2c3d4e5\r\n'
    "Call-ID: 7hk3m2p9q8r7s6t5u4v3\r\n"
    "CSeq: 2 REGISTER\r\n"
    'Authorization: Digest algorithm=MD5, username="1002", realm="asterisk", nonce="1700000000/abc",'
    ' uri="sip:127.0.0.1", response="0123456789abcdef0123456789abcdef"\r\n'
    'Contact: <sip:q3v8r2k1@8fk2mq0d3r1s.invalid;transport=ws>;+sip.ice;reg-id=1;'
    '+sip.instance="<urn:uuid:1f0e2d3c-4b5a-6978-8796-a5b4c3d2e1f0>";expires=120\r\n'
    "Expires: 120\r\n"
    "Allow: INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,REFER,INFO,NOTIFY\r\n"
    "Supported: path,gruu,outbound\r\n"
    "User-Agent: 1022 console\r\n"
    "Content-Length: 0\r\n\r\n")

ASTERISK_INVITE = (
    "INVITE sip:q3v8r2k1@8fk2mq0d3r1s.invalid;transport=ws SIP/2.0\r\n"
    "Via: SIP/2.0/WS 127.0.0.1:8088;rport;branch=z9hG4bKPjabc\r\n"
    'From: "0901234567" <sip:0901234567@127.0.0.1>;tag=ast-tag-1\r\n'
    "To: <sip:q3v8r2k1@8fk2mq0d3r1s.invalid;transport=ws>\r\n"
    "Call-ID: ast-call-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")

BROWSER_BYE = (
    "BYE sip:asterisk@127.0.0.1:8088;transport=ws SIP/2.0\r\n"
    "Via: SIP/2.0/WS 8fk2mq0d3r1s.invalid;branch=z9hG4bK999\r\n"
    "To: <sip:0901234567@127.0.0.1>;tag=ast-tag-1\r\n"
    "From: <sip:q3v8r2k1@8fk2mq0d3r1s.invalid;transport=ws>;tag=jssip-tag\r\n"
    "Call-ID: ast-call-1\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n")


def register(from_uri: str = "<sip:1002-web@127.0.0.1>", to_uri: str = "<sip:1002-web@127.0.0.1>",
             extra: str = "") -> str:
    return (f"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WS x.invalid;branch=z9hG4bK1\r\n"
            f"From: {from_uri};tag=1\r\nTo: {to_uri}\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\n{extra}"
            "Content-Length: 0\r\n\r\n")


def test_jssip_register_gives_method_identities_and_digest_username():
    assert parse_frame(JSSIP_REGISTER) == SipRequest("REGISTER", "1002-web", "1002-web", False, ("1002",))


def test_a_status_line_is_a_response_and_passes():
    assert parse_frame("SIP/2.0 200 OK\r\nVia: SIP/2.0/WS x.invalid\r\n\r\n") == SipResponse(200)
    assert SipIdentityPin("1002").refusal("SIP/2.0 180 Ringing\r\nTo: <sip:1003-web@h>\r\n\r\n") is None


def test_compact_forms_and_header_names_in_any_case():
    frame = register().replace("From:", "f:").replace("To:", "T :")
    assert parse_frame(frame).from_user == "1002-web" and parse_frame(frame).to_user == "1002-web"
    assert parse_frame(register().replace("From:", "fROM:")).from_user == "1002-web"


def test_a_folded_header_continues_the_line_before():
    frame = register(from_uri='"Nguyễn\r\n  Văn A"\r\n\t<sip:1002-web@127.0.0.1>')
    assert parse_frame(frame).from_user == "1002-web"


@pytest.mark.parametrize("value, user", [
    ('"1003-web <sip:1003-web@h>" <sip:1002-web@h>', "1002-web"),     # a display name is not the URI
    ('"say \\"hi\\"" <sip:1002-web@h>', "1002-web"),
    ("<sips:1002-web@h:5061;transport=wss>", "1002-web"),
    ("SIP:1002-web@h", "1002-web"),                                   # addr-spec, scheme in any case
    ("<sip:1002-web:secret@h>", "1002-web"),
    ("<sip:1002%2Dweb@h>", "1002-web"),
    ("Nobody <sip:1003-web@h;lr>", "1003-web"),
])
def test_the_uri_user_under_display_names_schemes_and_parameters(value, user):
    assert parse_frame(register(from_uri=value)).from_user == user


def test_a_tag_on_to_marks_a_request_inside_a_dialog():
    assert parse_frame(BROWSER_BYE).in_dialog and not parse_frame(JSSIP_REGISTER).in_dialog
    assert parse_frame(register(to_uri="sip:1002-web@h;tag=x")).in_dialog


@pytest.mark.parametrize("frame, reason", [
    (b"REGISTER sip:h SIP/2.0\r\nFrom: <sip:\xff@h>\r\n\r\n", "not UTF-8"),
    ("REGISTER sip:h SIP/2.0\r\nFrom: <sip:\udcff@h>\r\n\r\n", "not UTF-8"),
    ("hello, Asterisk", "not a SIP request or response"),
    ("", "empty frame"),
    ("GET / HTTP/1.1\r\nHost: h\r\n\r\n", "not a SIP request or response"),
    (register().replace("From: <sip:1002-web@127.0.0.1>;tag=1\r\n", ""), "no From header"),
    (register(extra="f: <sip:1003-web@h>\r\n"), "more than one From header"),
    (register(from_uri="<tel:+84901234567>"), "not a sip: or sips: URI"),
    (register(from_uri="<sip:127.0.0.1>"), "has no user"),
    (register(from_uri="<sip:%ff@h>"), "not UTF-8"),
    (register(from_uri='"open <sip:1002-web@h>'), "unclosed quoted display name"),
    (register(from_uri="<sip:1002-web@h"), "unclosed <"),
    (register(extra="no colon here\r\n"), "malformed header line"),
    (register(extra="Authorization: Basic MTAwMjpwdw==\r\n"), "not Digest"),
    (register(extra='Authorization: Digest realm="asterisk", nonce="n"\r\n'), "without a username"),
    ("REGISTER sip:h SIP/2.0\r\n" + "X: " + "a" * MAX_SIP_FRAME + "\r\n\r\n", "over"),
])
def test_malformed_frames_say_why(frame, reason):
    with pytest.raises(SipFrameError, match=reason):
        parse_frame(frame)


def test_the_pin_passes_the_sessions_own_register():
    assert SipIdentityPin("1002").refusal(JSSIP_REGISTER) is None
    assert SipIdentityPin("1002").refusal(JSSIP_REGISTER.encode()) is None


@pytest.mark.parametrize("frame, reason", [
    (register(from_uri="<sip:1003-web@127.0.0.1>", to_uri="<sip:1003-web@127.0.0.1>"), "From '1003-web'"),
    (register(to_uri="<sip:1003-web@127.0.0.1>"), "To '1003-web'"),
    (register(from_uri="<sip:1002@127.0.0.1>", to_uri="<sip:1002@127.0.0.1>"), "From '1002'"),   # the desk phone
    (JSSIP_REGISTER.replace('username="1002"', 'username="1003"'), "digest username '1003'"),
    (register(extra='Proxy-Authorization: Digest username=1003, realm="a"\r\n'), "digest username '1003'"),
    (JSSIP_REGISTER.replace("To: <sip:1002-web", "t: <sip:1003-web"), "To '1003-web'"),
    ("INVITE sip:1003@h SIP/2.0\r\nFrom: <sip:1003-web@h>;tag=1\r\nTo: <sip:1003@h>\r\n\r\n", "From '1003-web'"),
    ("MESSAGE sip:1003@h SIP/2.0\r\nFrom: sip:1001-web@h\r\nTo: sip:1003@h\r\n\r\n", "From '1001-web'"),
    ("hello", "malformed SIP"),
])
def test_the_pin_refuses_another_identity_and_says_which(frame, reason):
    refusal = SipIdentityPin("1002").refusal(frame)
    assert refusal is not None and reason in refusal


def test_inside_a_dialog_the_browser_may_be_who_asterisk_addressed_it_as():
    pin = SipIdentityPin("1002")
    assert "From 'q3v8r2k1'" in pin.refusal(BROWSER_BYE)          # nobody called it that yet
    pin.heard_from_asterisk(ASTERISK_INVITE)
    assert pin.refusal(BROWSER_BYE) is None
    # ... but only inside a dialog: an out-of-dialog request or a REGISTER still has to be <ext>-web.
    assert pin.refusal(BROWSER_BYE.replace(";tag=ast-tag-1", "")) is not None
    assert pin.refusal(register(from_uri="<sip:q3v8r2k1@x.invalid>")) is not None
    assert pin.refusal(register(from_uri="<sip:q3v8r2k1@x.invalid>", to_uri="<sip:1002-web@h>;tag=t")) is not None


def test_asterisks_responses_and_garbage_teach_the_pin_nothing():
    pin = SipIdentityPin("1002")
    pin.heard_from_asterisk("SIP/2.0 401 Unauthorized\r\nTo: <sip:q3v8r2k1@h>;tag=x\r\n\r\n")
    pin.heard_from_asterisk("not sip at all")
    assert pin.refusal(BROWSER_BYE) is not None


@pytest.mark.parametrize("frame", ["\r\n\r\n", "\r\n", " "])
def test_a_crlf_keep_alive_passes(frame):
    """RFC 5626 §4.4.1: JsSIP's keep-alive over the socket is not a malformed frame (closing on it dropped calls)."""
    assert SipIdentityPin("1002").refusal(frame) is None


def test_an_empty_binary_frame_is_still_malformed():
    assert "empty frame" in SipIdentityPin("1002").refusal(b"")


def test_the_person_s_pin_outlives_a_socket_so_a_reconnected_phone_keeps_its_dialog():
    pins = PhonePins()
    pins.of("1002").heard_from_asterisk(ASTERISK_INVITE)         # on the first socket
    assert pins.of("1002").refusal(BROWSER_BYE) is None          # the BYE on the socket after a reconnect
    assert pins.of("1003").refusal(BROWSER_BYE.replace("1002", "1003")) is not None   # nobody else's


def test_the_pin_keeps_the_newest_addressed_users():
    pin = SipIdentityPin("1002")
    for n in range(MAX_ADDRESSED + 5):
        pin.heard_from_asterisk(ASTERISK_INVITE.replace("q3v8r2k1", f"user{n}"))
    pin.heard_from_asterisk(ASTERISK_INVITE)                     # the page's current contact: newest, kept
    assert pin.refusal(BROWSER_BYE) is None
    assert pin.refusal(BROWSER_BYE.replace("q3v8r2k1", "user0")) is not None   # the oldest forgotten
