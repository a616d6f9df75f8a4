import pytest

from ivr.ami.protocol import AmiParser, AmiProtocolError, format_action

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
