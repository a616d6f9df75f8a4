"""AgentService with a fake AMI at the transport edge: which actions it sends, when, and what
happens to the wrap-up task (submitted, limit passed, cancelled, Asterisk away)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from contracts.errors import TelephonyUnavailable
from db.agent_states import StateChange
from ivr.acd.service import AgentService, Membership
from ivr.acd.states import AgentState, InvalidTransition
from ivr.ami.client import AmiDisconnected
from tests.waiting import until

T0 = datetime(2021, 8, 19, 8, 0, tzinfo=timezone.utc)
IFACE = "PJSIP/1001"
CALL = {"Linkedid": "1629360000.11", "Queue": "cdc", "Interface": IFACE, "MemberName": "1001"}


class FakeAmi:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, object]]] = []
        self.down = False

    async def send(self, action: str, timeout: float | None = None, **fields: object) -> None:
        if self.down:
            raise AmiDisconnected(f"{action}: not connected to Asterisk")
        self.sent.append((action, fields))

    async def collect(self, action: str, timeout: float | None = None, **fields: object) -> list:
        return []


@pytest.fixture
def ami() -> FakeAmi:
    return FakeAmi()


@pytest.fixture
def changes() -> list[StateChange]:
    return []


@pytest.fixture
async def service(ami, changes):
    svc = AgentService(ami, None, changes.append, wrapup_limit_s=0.3, clock=lambda: T0)
    svc.adopt("1001", Membership(IFACE, (("cdc", 0), ("emergency", 0))), AgentState("1001", "ready", T0))
    yield svc
    await svc.stop()


def call_events(service: AgentService) -> None:
    for name in ("AgentCalled", "AgentConnect", "AgentComplete"):
        service.on_member_event({"Event": name, **CALL})


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_agent_complete_pauses_for_wrap_up_and_submit_makes_ready(service, ami, changes):
    call_events(service)
    await settle()
    assert service.state("1001").state == "wrap_up"
    assert ami.sent == [("QueuePause", {"Interface": IFACE, "Paused": "true", "Reason": "wrap-up"})]
    state = await service.wrapup_submitted("1001", "1629360000.11")
    assert state["state"] == "ready"
    assert ami.sent[-1] == ("QueuePause", {"Interface": IFACE, "Paused": "false"})
    # A window, not a wait: the 0.3 s limit passes in it, and the cancelled timer must send nothing more.
    await asyncio.sleep(0.4)
    assert len(ami.sent) == 2
    assert [c.state for c in changes] == ["ready", "ringing", "on_call", "wrap_up", "ready"]


async def test_wrap_up_limit_makes_the_agent_ready_by_itself(service, ami):
    call_events(service)
    await until(lambda: service.state("1001").state == "ready", 5, "the wrap-up limit to pass", interval=0.02)
    assert [f["Paused"] for _, f in ami.sent] == ["true", "false"]


async def test_a_wrap_up_of_another_call_changes_nothing(service, ami):
    call_events(service)
    await settle()
    assert (await service.wrapup_submitted("1001", "other-call"))["state"] == "wrap_up"


async def test_logout_during_wrap_up_cancels_the_timer(service, ami):
    call_events(service)
    await settle()
    await service.logout("1001")
    # A window, not a wait: the 0.3 s limit passes in it, and the cancelled timer must send nothing.
    await asyncio.sleep(0.4)
    assert service.state("1001").state == "logged_out"
    assert [a for a, _ in ami.sent] == ["QueuePause", "QueueRemove", "QueueRemove"]


async def test_refused_command_sends_nothing(service, ami):
    service.on_member_event({"Event": "AgentConnect", **CALL})
    with pytest.raises(InvalidTransition, match="cannot become ready while on_call"):
        await service.ready("1001")
    assert ami.sent == []


async def test_asterisk_away_leaves_the_state_unchanged(service, ami):
    ami.down = True
    with pytest.raises(TelephonyUnavailable):
        await service.pause("1001", "meeting")
    assert service.state("1001").state == "ready"


async def test_the_agents_own_hangup_ends_the_call_when_agent_complete_is_missing(service):
    service.on_member_event({"Event": "AgentConnect", **CALL})
    service.on_hangup({"Event": "Hangup", "Channel": "PJSIP/1001-0000002a", "Linkedid": "1629360000.11"})
    assert (service.state("1001").state, service.state("1001").linkedid) == ("wrap_up", "1629360000.11")
    since = service.state("1001").since
    service.on_member_event({"Event": "AgentComplete", **CALL})     # late: changes nothing
    assert service.state("1001").since == since


async def test_members_of_other_controllers_are_ignored(service, changes):
    before = len(changes)
    service.on_member_event({"Event": "AgentComplete", **CALL, "Interface": "Local/1002@test-agent/n"})
    assert len(changes) == before


async def test_state_changes_are_published(service):
    queue = service.bus.subscribe()
    await service.pause("1001", "meeting")
    published = queue.get_nowait()
    assert (published["ext"], published["state"], published["reason"]) == ("1001", "paused", "meeting")


async def test_each_state_says_which_phone_the_queues_ring_and_none_once_logged_out(service):
    queue = service.bus.subscribe()
    service.adopt("1002", Membership("PJSIP/1002-web", (("cdc", 0),)), AgentState("1002", "ready", T0))
    assert queue.get_nowait()["phone"] == "browser"
    assert {s["ext"]: s["phone"] for s in service.snapshot()} == {"1001": "desk", "1002": "browser"}
    assert (await service.pause("1002", "meeting"))["phone"] == "browser"
    logged_out = await service.logout("1002")
    assert (logged_out["state"], logged_out["phone"]) == ("logged_out", None)
    assert [queue.get_nowait()["phone"] for _ in range(2)] == ["browser", None]


BOTH = "Local/1003@agent-phones"
BOTH_CALL = {**CALL, "Interface": BOTH, "MemberName": "1003"}


async def test_ringing_both_phones_only_the_answered_phone_hanging_up_ends_the_call(service):
    service.adopt("1003", Membership(BOTH, (("cdc", 0),)), AgentState("1003", "ready", T0))
    service.on_member_event({"Event": "AgentConnect", **BOTH_CALL})
    linkedid = CALL["Linkedid"]
    # The desk phone stops ringing (the browser answered), then the Local channels are optimized out.
    for channel, state in (("PJSIP/1003-00000031", "Ringing"), ("Local/1003@agent-phones-0000000c;1", "Up"),
                           ("Local/1003@agent-phones-0000000c;2", "Up")):
        service.on_hangup({"Event": "Hangup", "Channel": channel, "ChannelStateDesc": state, "Linkedid": linkedid})
        assert service.state("1003").state == "on_call", channel
    service.on_hangup({"Event": "Hangup", "Channel": "PJSIP/1003-web-00000032", "ChannelStateDesc": "Up",
                       "Linkedid": linkedid})
    assert (service.state("1003").state, service.state("1003").linkedid) == ("wrap_up", linkedid)
    assert service.public(service.state("1003"))["phone"] == "both"


class RegisteredPhones(FakeAmi):
    """Getvar DEVICE_STATE(<interface>) answers as Asterisk does for the phones in `registered`."""

    def __init__(self, registered: set[str]) -> None:
        super().__init__()
        self.registered = registered

    async def send(self, action: str, timeout: float | None = None, **fields: object):
        await super().send(action, timeout, **fields)
        interface = str(fields.get("Variable", ""))[len("DEVICE_STATE("):-1]
        return {"Value": "NOT_INUSE" if interface in self.registered else "UNAVAILABLE"}


@pytest.mark.parametrize("registered, phone", [
    ({"PJSIP/1001", "PJSIP/1001-web"}, "both"), ({"PJSIP/1001"}, "desk"), ({"PJSIP/1001-web"}, "browser"),
    (set(), "desk")])
async def test_auto_rings_every_registered_phone(registered, phone):
    svc = AgentService(RegisteredPhones(registered), None, lambda change: None, wrapup_limit_s=1, clock=lambda: T0)
    assert await svc._phone_to_ring("1001") == phone
