import pytest

from ivr.ami.protocol import AmiParser, AmiProtocolError, format_action, parse_block, unescape_c

BANNER = b"Asterisk Call Manager/9.0.0\r\n"


def test_parses_banner_response_and_event_across_chunks():
    parser = AmiParser()
    assert parser.feed(BANNER + b"Response: Success\r\nActionID: 1\r\nMess") == []
    messages = parser.feed(b"age: Authentication accepted\r\n\r\nEvent: Hangup\r\nLinkedid: 17.1\r\n\r\n")
    assert parser.banner == "Asterisk Call Manager/9.0.0"
    assert [m.response or m.event for m in messages] == ["Success", "Hangup"]
    assert messages[0]["Message"] == "Authentication accepted" and messages[0].action_id == "1"
    assert messages[1]["Linkedid"] == "17.1"


def test_invalid_utf8_in_caller_id_is_replaced_not_raised():
    parser = AmiParser()
    messages = parser.feed(BANNER + b"Event: Newchannel\r\nCallerIDName: \xff\xfeBad\xc3\r\n\r\n")
    assert messages[0]["CallerIDName"] == "\ufffd\ufffdBad\ufffd"


def test_values_with_colons_and_repeated_keys():
    parser = AmiParser()
    [message] = parser.feed(BANNER + b"Event: X\r\nAppData: a:b: c\r\nChanVariable: A=1\r\nChanVariable: B=2\r\n\r\n")
    assert message["AppData"] == "a:b: c"
    assert message["ChanVariable"] == "A=1"
    assert message.getall("ChanVariable") == ["A=1", "B=2"]


def test_not_an_ami_server_is_refused():
    with pytest.raises(AmiProtocolError, match="not an AMI server"):
        AmiParser().feed(b"HTTP/1.1 400 Bad Request\r\n")


def test_endless_message_is_refused():
    parser = AmiParser()
    parser.feed(BANNER)
    with pytest.raises(AmiProtocolError, match="1 MiB"):
        parser.feed(b"Event: X\r\nData: " + b"a" * (1 << 20) + b"\r\n")


def test_format_action_refuses_header_injection():
    assert format_action("QueuePause", "7", {"Interface": "PJSIP/1001", "Paused": "true"}) == (
        b"Action: QueuePause\r\nActionID: 7\r\nInterface: PJSIP/1001\r\nPaused: true\r\n\r\n")
    with pytest.raises(AmiProtocolError):
        format_action("QueuePause", "8", {"Reason": "lunch\r\nAction: Originate"})
    with pytest.raises(AmiProtocolError):
        format_action("Setvar", "9", {"Variable: X": "1"})


def test_caller_names_of_channel_events_are_unescaped_as_asterisk_escaped_them():
    """Asterisk 22 sends a channel snapshot's names through ast_escape_c (seen on a real call,
    tests/integration/test_caller_names.py); the other fields and OriginateResponse are as sent."""
    block = ("Event: Newchannel\r\nChannel: PJSIP/trunk-1\r\nCallerIDName: O\\'Brien \\\"Bo\\\" \\\\x\r\n"
             "ConnectedLineName: a\\tb\\?\r\nDestCallerIDName: \\\\\\\\\r\nExten: a\\'b")
    message = parse_block(block)
    assert message["CallerIDName"] == "O'Brien \"Bo\" \\x"
    assert message["ConnectedLineName"] == "a\tb?"
    assert message["DestCallerIDName"] == "\\\\"
    assert message["Exten"] == "a\\'b"
    assert parse_block("Event: OriginateResponse\r\nCallerIDName: O'Brien \\x")["CallerIDName"] == "O'Brien \\x"
    assert parse_block("Response: Success\r\nCallerIDName: a\\'b")["CallerIDName"] == "a\\'b"


def test_unescape_keeps_a_backslash_asterisk_would_not_have_written():
    assert unescape_c("a\\zb") == "a\\zb"
    assert unescape_c("trailing\\") == "trailing\\"
    assert unescape_c("Nguyễn Văn A") == "Nguyễn Văn A"
