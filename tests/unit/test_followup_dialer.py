"""The worklist's Originate and the surge switch's AstDB mirror, on a fake AMI at the transport edge."""
from __future__ import annotations

import pytest

from contracts.errors import AgentPhoneOffline, TelephonyUnavailable
from ivr.ami.client import AmiDisconnected
from ivr.ami.protocol import AmiMessage
from ivr.followups.dialer import FollowupCaller, followup_fields
from ivr.followups.surge import SCOPES, SurgeMirror


class FakeAmi:
    def __init__(self, registered: bool = True, down: bool = False) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.registered, self.down = registered, down

    async def send(self, action: str, timeout: float | None = None, **fields: object) -> AmiMessage:
        if self.down:
            raise AmiDisconnected(f"{action}: not connected to Asterisk")
        self.sent.append((action, fields))
        return AmiMessage([("Response", "Success")])

    async def collect(self, action: str, timeout: float | None = None, **fields: object) -> list[AmiMessage]:
        found = [AmiMessage([("Event", "EndpointDetail")])]
        if self.registered:
            found.append(AmiMessage([("Event", "ContactStatusDetail"), ("URI", "sip:1013@127.0.0.1:5099")]))
        return found


def test_the_agents_phone_rings_first_then_citizen_out_dials_the_number():
    fields = followup_fields("1013", "0966000001", 7, ring_timeout_ms=45_000)
    assert fields == {"Channel": "PJSIP/1013", "Context": "citizen-out", "Exten": "0966000001", "Priority": "1",
                      "CallerID": '"Gọi lại 0966000001" <0966000001>', "Timeout": "45000", "Async": "true",
                      "ChannelId": "followup-1013-7"}


@pytest.mark.parametrize("agent, number, attempt", [
    ("10x3", "0966000001", 1), ("1013", "0966;Set(x)", 1), ("1013", "12", 1), ("1013", "0966000001", 0),
    ("1013", "0966000001", True)])
def test_nothing_but_digits_goes_into_the_originate(agent, number, attempt):
    with pytest.raises(ValueError):
        followup_fields(agent, number, attempt)


async def test_an_unregistered_phone_or_asterisk_away_sends_nothing():
    offline = FakeAmi(registered=False)
    with pytest.raises(AgentPhoneOffline):
        await FollowupCaller(offline).call_citizen("1013", "0966000001", 3)
    assert offline.sent == []
    with pytest.raises(TelephonyUnavailable):
        await FollowupCaller(FakeAmi(down=True)).call_citizen("1013", "0966000001", 3)
    ami = FakeAmi()
    await FollowupCaller(ami).call_citizen("1013", "0966000001", 3)
    assert [a for a, _ in ami.sent] == ["Originate"]


async def test_the_mirror_writes_one_astdb_key_per_scope_and_says_when_it_could_not():
    ami = FakeAmi()
    mirror = SurgeMirror(ami, pool=None)  # type: ignore[arg-type]  (on_connected alone reads the pool)
    assert await mirror.mirror("violations", True) is True
    assert ami.sent == [("DBPut", {"Family": "surge", "Key": "violations", "Val": "1"})]
    with pytest.raises(ValueError):
        await mirror.mirror("violations/../all", True)
    away = SurgeMirror(FakeAmi(down=True), pool=None)  # type: ignore[arg-type]
    assert await away.mirror("all", False) is False and away.mirrored == {}
    assert SCOPES == ("all", "cdc", "doctors", "violations", "emergency")
