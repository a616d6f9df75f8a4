"""ivr/acd/listen.py with a fake AMI at the transport edge: the Originate it sends, the extension
check before anything reaches AMI, and Asterisk refusing or being away."""
from __future__ import annotations

from pathlib import Path

import pytest

from contracts.errors import ListenerPhoneOffline, TelephonyUnavailable
from ivr.acd.listen import LiveListener, checked_ext, listen_message, originate_fields
from ivr.acd.live import LiveHub
from ivr.ami.client import AmiActionFailed, AmiDisconnected
from ivr.ami.protocol import AmiMessage
from ivr.constants import CONTEXT_LISTEN


class FakeAmi:
    """Answers PJSIPShowEndpoint with one registered contact unless `registered` is False."""

    def __init__(self, fail: Exception | None = None, registered: bool = True) -> None:
        self.sent: list[tuple[str, dict[str, object]]] = []
        self.asked: list[tuple[str, dict[str, object]]] = []
        self.fail, self.registered = fail, registered

    async def send(self, action: str, timeout: float | None = None, **fields: object) -> None:
        if self.fail is not None:
            raise self.fail
        self.sent.append((action, fields))

    async def collect(self, action: str, timeout: float | None = None, **fields: object) -> list[AmiMessage]:
        if self.fail is not None:
            raise self.fail
        self.asked.append((action, fields))
        events = [AmiMessage([("Event", "EndpointDetail"), ("ObjectName", str(fields["Endpoint"]))])]
        if self.registered:
            events.append(AmiMessage([("Event", "ContactStatusDetail"),
                                      ("URI", "sip:2002@127.0.0.1:5071"), ("Status", "Unknown")]))
        return events


@pytest.mark.parametrize("ext", ["1001", "2001", "9001", "12", "12345678"])
def test_checked_ext_accepts_digits(ext):
    assert checked_ext(ext, "agent") == ext


@pytest.mark.parametrize("ext", ["", "1", "123456789", "10a1", "1001\r\nAction: Hangup", "PJSIP/1001", " 1001",
                                 "١٠٠١", "1001-", None])
def test_checked_ext_refuses_anything_but_2_to_8_ascii_digits(ext):
    with pytest.raises(ValueError, match="listener"):
        checked_ext(ext, "listener")


def test_originate_rings_the_listener_into_supervisor_listen():
    assert originate_fields("1001", "2001", 42) == {
        "Channel": "PJSIP/2001", "Context": "supervisor-listen", "Exten": "1001", "Priority": "1",
        "CallerID": '"Nghe 1001" <1001>', "Timeout": "30000", "Async": "true",
        # Its own Uniqueid marks the listening call (never a call record) and names its audit row.
        "ChannelId": "listen-2001-1001-42"}


def test_the_browser_phone_is_the_listeners_endpoint_ext_web():
    fields = originate_fields("1001", "2001", 42, mode="whisper", phone="browser")
    assert (fields["Channel"], fields["Context"], fields["ChannelId"]) == (
        "PJSIP/2001-web", "supervisor-whisper", "listen-2001-1001-42")
    with pytest.raises(ValueError, match="phone must be one of desk, browser"):
        originate_fields("1001", "2001", 42, phone="both")


async def test_a_browser_listen_asks_whether_the_browser_phone_is_registered():
    ami = FakeAmi()
    await LiveListener(ami).listen("1003", "2002", 7, "barge", "browser")
    assert ami.asked == [("PJSIPShowEndpoint", {"Endpoint": "2002-web"})]
    assert ami.sent[0][1]["Channel"] == "PJSIP/2002-web"


@pytest.mark.parametrize("listen_id", [0, -1, "42", 4.2, True, None])
def test_originate_needs_the_audit_rows_id(listen_id):
    with pytest.raises(ValueError, match="listen_id"):
        originate_fields("1001", "2001", listen_id)


async def test_listen_sends_one_async_originate():
    ami = FakeAmi()
    await LiveListener(ami, ring_timeout_ms=5000).listen("1003", "2002", 7)
    [(action, fields)] = ami.sent
    assert action == "Originate" and fields["Timeout"] == "5000" and fields["Async"] == "true"
    assert (fields["Channel"], fields["Exten"], fields["ChannelId"]) == ("PJSIP/2002", "1003", "listen-2002-1003-7")


async def test_a_listener_whose_phone_is_not_registered_rings_nothing():
    ami = FakeAmi(registered=False)
    with pytest.raises(ListenerPhoneOffline, match="2002"):
        await LiveListener(ami).listen("1003", "2002", 7)
    assert ami.asked == [("PJSIPShowEndpoint", {"Endpoint": "2002"})] and ami.sent == []


async def test_a_bad_extension_sends_nothing():
    ami = FakeAmi()
    with pytest.raises(ValueError):
        await LiveListener(ami).listen("1001", "admin", 7)
    assert ami.sent == []


@pytest.mark.parametrize("failure", [
    AmiDisconnected("Originate: not connected to Asterisk"),
    AmiActionFailed("Originate", AmiMessage([("Response", "Error"), ("Message", "Originate failed")])),
])
async def test_asterisk_away_or_refusing_is_telephony_unavailable(failure):
    with pytest.raises(TelephonyUnavailable):
        await LiveListener(FakeAmi(fail=failure)).listen("1001", "2001", 7)


def test_supervisor_listen_is_reachable_only_through_ami():
    dialplan = Path(__file__).resolve().parents[2] / "dialplan"
    includes = [line for path in dialplan.glob("*.conf") for line in path.read_text().splitlines()
                if line.strip().startswith("include") and CONTEXT_LISTEN in line]
    assert includes == []      # no phone's context (from-agents, from-trunk) includes it
    assert f"[{CONTEXT_LISTEN}]" in (dialplan / "extensions_supervisor.conf").read_text()
    assert '#include "extensions_supervisor.conf"' in (dialplan / "extensions.conf").read_text()
    assert "load = app_chanspy.so" in (dialplan / "modules.conf").read_text()
    # Listen-only and both parties: no whisper/barge/DTMF mode switch, no agent-only audio.
    spy = next(line for line in (dialplan / "extensions_supervisor.conf").read_text().splitlines()
               if line.startswith("exten") and "ChanSpy(" in line)
    options = spy.split("ChanSpy(", 1)[1].rstrip(")").split(",")[1]
    assert set(options) == set("bqES")


LISTEN_ID = "listen-2001-1001-731"


def originate_response(response: str, reason: str, uniqueid: str = LISTEN_ID) -> dict[str, str]:
    """As Asterisk 22 sends it for an Async Originate with a ChannelId."""
    return {"Event": "OriginateResponse", "Privilege": "call,all", "ActionID": "ivr-41", "Response": response,
            "Channel": "PJSIP/2001-0000001a", "Context": "supervisor-listen", "Exten": "1001",
            "Application": "", "Data": "", "Reason": reason, "Uniqueid": uniqueid,
            "CallerIDNum": "1001", "CallerIDName": "Nghe 1001"}


@pytest.mark.parametrize("response, reason, result", [
    ("Success", "4", "answered"), ("Failure", "3", "no_answer"), ("Failure", "5", "busy"),
    ("Failure", "8", "congestion"), ("Failure", "0", "failed"), ("Failure", "1", "failed")])
def test_originate_response_tells_the_listener_what_became_of_the_listen(response, reason, result):
    assert listen_message(originate_response(response, reason)) == {
        "type": "listen", "ext": "2001", "agent": "1001", "listen_id": 731, "result": result}


def test_the_listening_channels_hangup_ends_the_listen():
    hangup = {"Event": "Hangup", "Channel": "PJSIP/2001-0000001a", "Uniqueid": LISTEN_ID, "Linkedid": LISTEN_ID,
              "Cause": "16", "Cause-txt": "Normal Clearing"}
    assert listen_message(hangup) == {"type": "listen", "ext": "2001", "agent": "1001", "listen_id": 731,
                                      "result": "ended"}


@pytest.mark.parametrize("uniqueid", ["1790000000.17", "listen-2001-1001", "listen-2001-<b>-7", "listen-a-1001-7",
                                      "listen-2001-1001-7-8", "listen-2001-1001-x", "listen-2001-1001-0",
                                      "listen-2001-1001-07", "listen-2001-1001-" + "9" * 19, ""])
def test_other_channels_and_malformed_ids_make_no_listen_message(uniqueid):
    assert listen_message(originate_response("Success", "4", uniqueid)) is None
    assert listen_message({"Event": "Hangup", "Uniqueid": uniqueid}) is None


def test_an_unrelated_event_of_a_listening_channel_makes_no_message():
    assert listen_message({"Event": "Newchannel", "Uniqueid": LISTEN_ID}) is None


def test_the_live_hub_publishes_the_listen_outcome_with_its_event_time():
    hub = LiveHub()
    queue = hub.subscribe()
    hub.on_listen_event({**originate_response("Failure", "3"), "Timestamp": "1790000000.250000"})
    hub.on_listen_event({"Event": "Hangup", "Uniqueid": "1790000000.17", "Linkedid": "1790000000.17"})
    assert queue.get_nowait() == {"type": "listen", "ext": "2001", "agent": "1001", "listen_id": 731,
                                  "result": "no_answer", "event_at": 1790000000.25}
    assert queue.empty()


def test_the_audit_outcome_is_at_asterisks_event_time():
    from datetime import datetime, timezone

    from db.live_listen import ListenOutcome
    from ivr.acd.listen import listen_outcome

    def clock():
        raise AssertionError("the event has a Timestamp")

    outcome = listen_outcome({**originate_response("Success", "4"), "Timestamp": "1790000000.500000"}, clock)
    assert outcome == ListenOutcome(731, "answered", datetime.fromtimestamp(1790000000.5, timezone.utc))
    assert listen_outcome({"Event": "Hangup", "Uniqueid": "1790000000.17"}, clock) is None
