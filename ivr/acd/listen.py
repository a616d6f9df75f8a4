"""Listening to an agent's live call from the supervisor's own phone.

Action only: the console's handler decides who may listen and to which call; this rings the
listener's PJSIP endpoint with an asynchronous AMI Originate into the dialplan context
`supervisor-listen` (dialplan/extensions_supervisor.conf), whose ChanSpy hears both parties
and cannot be heard. Async=true: Asterisk answers once the call is queued, not when the phone
is picked up; a listener whose phone is not registered is refused before anything is sent
(PJSIPShowEndpoint lists no contact). The client never re-sends an Originate after a reconnect,
so nothing rings twice.
The listening channel's Uniqueid starts with LISTEN_ID_PREFIX (ChannelId), so it never becomes a
call record: the tracker and the reconciler skip that Linkedid.
"""
from __future__ import annotations

import re
import uuid
from typing import Any, Protocol

from agent_console.ports import ListenerPhoneOffline, TelephonyUnavailable
from ivr.ami.client import AmiActionFailed, AmiError
from ivr.constants import CONTEXT_LISTEN, LISTEN_ID_PREFIX

RING_TIMEOUT_MS = 30_000
# Extensions go into AMI fields and a channel name prefix: digits only, nothing to inject.
_EXT = re.compile(r"^[0-9]{2,8}$")


class Ami(Protocol):
    async def send(self, action: str, timeout: float | None = None, **fields: object) -> Any: ...

    async def collect(self, action: str, timeout: float | None = None, **fields: object) -> list[Any]: ...


def checked_ext(ext: str, what: str) -> str:
    """`ext` when it is 2-8 ASCII digits; ValueError naming `what` otherwise."""
    if not isinstance(ext, str) or not _EXT.match(ext):
        raise ValueError(f"{what} must be an extension of 2 to 8 digits, not {ext!r}")
    return ext


def originate_fields(agent_ext: str, listener_ext: str, *, ring_timeout_ms: int = RING_TIMEOUT_MS,
                     channel_id: str | None = None) -> dict[str, str]:
    """The Originate that rings the listener's phone and, once answered, spies on the agent."""
    agent, listener = checked_ext(agent_ext, "agent"), checked_ext(listener_ext, "listener")
    return {"Channel": f"PJSIP/{listener}", "Context": CONTEXT_LISTEN, "Exten": agent, "Priority": "1",
            "CallerID": f'"Nghe {agent}" <{agent}>', "Timeout": str(ring_timeout_ms), "Async": "true",
            "ChannelId": channel_id or f"{LISTEN_ID_PREFIX}{listener}-{agent}-{uuid.uuid4().hex[:12]}"}


class LiveListener:
    """Implements agent_console.ports.LiveListen over the controller's AMI client."""

    def __init__(self, ami: Ami, *, ring_timeout_ms: int = RING_TIMEOUT_MS) -> None:
        self._ami = ami
        self._ring_timeout_ms = ring_timeout_ms

    async def listen(self, agent_ext: str, listener_ext: str) -> None:
        fields = originate_fields(agent_ext, listener_ext, ring_timeout_ms=self._ring_timeout_ms)
        try:
            if not await self._registered(listener_ext):
                raise ListenerPhoneOffline(f"your phone ({listener_ext}) is not registered: sign in on it first")
            await self._ami.send("Originate", **fields)
        except AmiActionFailed as exc:
            raise TelephonyUnavailable(f"Asterisk refused {exc}") from None
        except AmiError as exc:
            raise TelephonyUnavailable(str(exc)) from None

    async def _registered(self, ext: str) -> bool:
        """Whether PJSIP endpoint `ext` has a contact (a registered phone) right now."""
        events = await self._ami.collect("PJSIPShowEndpoint", Endpoint=ext)
        return any(e.get("Event") == "ContactStatusDetail" and e.get("URI") for e in events)
