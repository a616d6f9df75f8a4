"""Ringing a person's own phone first: an asynchronous AMI Originate sent only while the phone is registered.

Both the supervisor's listening call (ivr/acd/listen.py) and the worklist's call to a citizen
(ivr/followups/dialer.py) start on somebody's PJSIP endpoint. A phone with no contact right now
(PJSIPShowEndpoint lists none) is refused before anything is sent, with the caller's own error
(ListenerPhoneOffline, AgentPhoneOffline); Asterisk refusing the Originate, or being away, is
TelephonyUnavailable. The client never re-sends an Originate after a reconnect, so nothing rings twice.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from contracts.errors import TelephonyUnavailable
from ivr.ami.actions import AmiActions
from ivr.ami.client import AmiActionFailed, AmiError


async def registered(ami: AmiActions, ext: str) -> bool:
    """Whether PJSIP endpoint `ext` has a contact (a registered phone) right now."""
    events = await ami.collect("PJSIPShowEndpoint", Endpoint=ext)
    return any(e.get("Event") == "ContactStatusDetail" and e.get("URI") for e in events)


async def originate_on_phone(ami: AmiActions, ext: str, fields: Mapping[str, str],
                             offline: Callable[[str], Exception]) -> None:
    """Sends the Originate `fields` if `ext`'s phone is registered; else raises offline(message)."""
    try:
        if not await registered(ami, ext):
            raise offline(f"your phone ({ext}) is not registered: sign in on it first")
        await ami.send("Originate", **fields)
    except AmiActionFailed as exc:
        raise TelephonyUnavailable(f"Asterisk refused {exc}") from None
    except AmiError as exc:
        raise TelephonyUnavailable(str(exc)) from None
