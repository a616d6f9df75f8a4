"""PhonePresence (ivr/acd/phones.py) with a fake AMI at the transport edge: a browser phone's contact going
away pauses its agent phone-offline, coming back makes them ready; other agents, other pauses and desk
phones are left alone; Asterisk away changes nothing."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from contracts.errors import AgentPhoneOffline
from ivr.acd.phones import PhonePresence
from ivr.acd.service import AgentService, Membership
from ivr.acd.states import AgentState
from tests.unit.test_agent_service import FakeAmi
from tests.waiting import until

T0 = datetime(2021, 8, 19, 8, 0, tzinfo=timezone.utc)
WEB = "PJSIP/1001-web"


def contact(status: str, aor: str = "1001-web") -> dict[str, str]:
    return {"Event": "ContactStatus", "AOR": aor, "EndpointName": aor, "ContactStatus": status,
            "URI": "sip:x@127.0.0.1:5;transport=ws"}


@pytest.fixture
async def service():
    svc = AgentService(FakeAmi(), None, lambda change: None, wrapup_limit_s=60, clock=lambda: T0)
    yield svc
    await svc.stop()


def on_browser(service: AgentService, state: str = "ready", reason: str | None = None) -> None:
    service.adopt("1001", Membership(WEB, (("cdc", 0),)), AgentState("1001", state, T0, reason=reason))


async def test_removed_pauses_phone_offline_and_registered_again_makes_ready(service):
    on_browser(service)
    presence = PhonePresence(service)
    presence.on_contact_status(contact("Removed"))
    await until(lambda: service.state("1001").reason == "phone-offline", 2, "paused phone-offline")
    assert service._ami.sent[-1] == ("QueuePause", {"Interface": WEB, "Paused": "true", "Reason": "phone-offline"})
    presence.on_contact_status(contact("NonQualified"))
    await until(lambda: service.state("1001").state == "ready", 2, "ready again")
    assert service._ami.sent[-1] == ("QueuePause", {"Interface": WEB, "Paused": "false"})


async def test_another_pause_a_desk_phone_and_other_endpoints_are_left_alone(service):
    on_browser(service, "paused", "ăn ca")
    presence = PhonePresence(service)
    presence.on_contact_status(contact("NonQualified"))          # back: but paused for a meal
    presence.on_contact_status(contact("Removed", aor="1001"))   # the desk phone: not ours to follow
    presence.on_contact_status(contact("Removed", aor="trunk"))
    for task in list(service._tasks):
        await task
    assert service.state("1001").reason == "ăn ca" and service._ami.sent == []


async def test_asterisk_away_leaves_the_state_as_it_was(service):
    on_browser(service)
    service._ami.down = True
    presence = PhonePresence(service)
    presence.on_contact_status(contact("Removed"))
    for task in list(service._tasks):
        await task
    assert service.state("1001").state == "ready"
    assert presence.online["1001"] is False


async def test_ready_is_refused_while_the_browser_phone_is_offline_and_sends_nothing(service):
    on_browser(service, "paused", "ăn ca")
    presence = PhonePresence(service)
    presence.on_contact_status(contact("Removed"))
    for task in list(service._tasks):
        await task
    with pytest.raises(AgentPhoneOffline, match="browser phone is not registered"):
        await service.ready("1001")
    assert service.state("1001").reason == "ăn ca" and service._ami.sent == []
    presence.on_contact_status(contact("Created"))      # back: Ready works again (the meal pause is theirs)
    for task in list(service._tasks):
        await task
    assert (await service.ready("1001"))["state"] == "ready"


async def test_a_wrap_up_ending_while_the_phone_is_offline_leaves_the_agent_paused_phone_offline(service):
    service.adopt("1001", Membership(WEB, (("cdc", 0),)), AgentState("1001", "wrap_up", T0, reason="wrap-up",
                                                                     linkedid="L1"))
    presence = PhonePresence(service)
    presence.on_contact_status(contact("Removed"))       # during the wrap-up: left alone
    for task in [t for t in service._tasks if t.get_name().startswith("phone-presence-")]:
        await task                                       # (not the wrap-up's own 60 s timer)
    assert service.state("1001").state == "wrap_up"
    assert [f.get("Reason") for _, f in service._ami.sent] == ["wrap-up"]      # the wrap-up's own pause only
    sent_before = list(service._ami.sent)
    state = await service.wrapup_submitted("1001", "L1")
    assert (state["state"], state["reason"]) == ("paused", "phone-offline")
    assert service._ami.sent[len(sent_before):] == [
        ("QueuePause", {"Interface": WEB, "Paused": "true", "Reason": "phone-offline"})]
