"""Listening to an agent's live call from the supervisor's own phone.

Action only: the console's handler decides who may listen and to which call; this rings the
listener's PJSIP endpoint — the desk phone <ext> or the console's browser phone <ext>-web — with an
asynchronous AMI Originate into the dialplan context
`supervisor-listen` (dialplan/extensions_supervisor.conf), whose ChanSpy hears both parties
and cannot be heard. Async=true: Asterisk answers once the call is queued, not when the phone
is picked up; a listener whose phone is not registered is refused before anything is sent
(PJSIPShowEndpoint lists no contact). The client never re-sends an Originate after a reconnect,
so nothing rings twice.
The listening channel is named after its audit row: ChannelId listen-<listener>-<agent>-<live_listen_log.id>.
Its Uniqueid starts with LISTEN_ID_PREFIX, so it never becomes a call record: the tracker and the
reconciler skip that Linkedid.

What became of a listen reaches the console as a live message (`listen_message`, sent by
ivr/acd/live.py) and the audit log (`listen_outcome`, written by ivr/acd/store.py into
live_listen_outcomes): Asterisk's OriginateResponse says whether the listener's phone answered, and
the listening channel's Hangup says the listening ended (the listener hung up or the call ended).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from contracts.errors import ListenerPhoneOffline
from contracts.phones import LISTENER_PHONES, browser_endpoint
from db.live_listen import ListenOutcome
from ivr.ami.actions import AmiActions
from ivr.ami.originate import originate_on_phone
from ivr.calls.tracker import event_time
from ivr.constants import LISTEN_ID_PREFIX, SPY_CONTEXTS

RING_TIMEOUT_MS = 30_000
# OriginateResponse's Reason when the phone did not answer (the last control frame Asterisk saw).
_NOT_ANSWERED = {"3": "no_answer", "5": "busy", "8": "congestion"}
# Extensions go into AMI fields and a channel name prefix: digits only, nothing to inject.
_EXT = re.compile(r"^[0-9]{2,8}$")
_LISTEN_ID = re.compile(r"^[1-9][0-9]{0,17}$")


def checked_ext(ext: str, what: str) -> str:
    """`ext` when it is 2-8 ASCII digits; ValueError naming `what` otherwise."""
    if not isinstance(ext, str) or not _EXT.match(ext):
        raise ValueError(f"{what} must be an extension of 2 to 8 digits, not {ext!r}")
    return ext


def listener_endpoint(listener_ext: str, phone: str) -> str:
    """The PJSIP endpoint of the listener's `phone` ("desk": <ext>, "browser": <ext>-web)."""
    listener = checked_ext(listener_ext, "listener")
    if phone not in LISTENER_PHONES:
        raise ValueError(f"phone must be one of {', '.join(LISTENER_PHONES)}, not {phone!r}")
    return listener if phone == "desk" else browser_endpoint(listener)


def originate_fields(agent_ext: str, listener_ext: str, listen_id: int, *, ring_timeout_ms: int = RING_TIMEOUT_MS,
                     mode: str = "listen", phone: str = "desk") -> dict[str, str]:
    """The Originate that rings the listener's phone and, once answered, spies on the agent;
    `listen_id` is the audit row's id (live_listen_log.id)."""
    agent, listener = checked_ext(agent_ext, "agent"), checked_ext(listener_ext, "listener")
    endpoint = listener_endpoint(listener, phone)
    if not isinstance(listen_id, int) or isinstance(listen_id, bool) or listen_id < 1:
        raise ValueError(f"listen_id must be a positive integer, not {listen_id!r}")
    if mode not in SPY_CONTEXTS:
        raise ValueError(f"mode must be one of {', '.join(SPY_CONTEXTS)}, not {mode!r}")
    return {"Channel": f"PJSIP/{endpoint}", "Context": SPY_CONTEXTS[mode], "Exten": agent, "Priority": "1",
            "CallerID": f'"Nghe {agent}" <{agent}>', "Timeout": str(ring_timeout_ms), "Async": "true",
            "ChannelId": f"{LISTEN_ID_PREFIX}{listener}-{agent}-{listen_id}"}


def listen_message(event: Mapping[str, str]) -> dict[str, Any] | None:
    """The live message about a listening channel's OriginateResponse or Hangup, else None:
    {"type": "listen", "ext": <listener>, "agent": <agent>, "listen_id": <audit row id>,
    "result": answered | no_answer | busy | congestion | failed | ended}."""
    parties = _parties(event.get("Uniqueid", ""))
    name = event.get("Event")
    if parties is None or name not in ("OriginateResponse", "Hangup"):
        return None
    if name == "Hangup":
        result = "ended"
    elif event.get("Response") == "Success":
        result = "answered"
    else:
        result = _NOT_ANSWERED.get(event.get("Reason", ""), "failed")
    listener, agent, listen_id = parties
    return {"type": "listen", "ext": listener, "agent": agent, "listen_id": listen_id, "result": result}


def listen_outcome(event: Mapping[str, str], clock: Callable[[], datetime]) -> ListenOutcome | None:
    """The audit log's outcome row for the same events, at Asterisk's event time."""
    message = listen_message(event)
    if message is None:
        return None
    return ListenOutcome(message["listen_id"], message["result"], event_time(event, clock))


def _parties(uniqueid: str) -> tuple[str, str, int] | None:
    """(listener, agent, listen_id) from a listening channel's id `listen-<listener>-<agent>-<id>`."""
    if not uniqueid.startswith(LISTEN_ID_PREFIX):
        return None
    parts = uniqueid[len(LISTEN_ID_PREFIX):].split("-")
    if len(parts) != 3 or not all(_EXT.match(p) for p in parts[:2]) or not _LISTEN_ID.match(parts[2]):
        return None
    return parts[0], parts[1], int(parts[2])


class LiveListener:
    """Implements contracts.ports.LiveListen over the controller's AMI client."""

    def __init__(self, ami: AmiActions, *, ring_timeout_ms: int = RING_TIMEOUT_MS) -> None:
        self._ami = ami
        self._ring_timeout_ms = ring_timeout_ms

    async def listen(self, agent_ext: str, listener_ext: str, listen_id: int, mode: str = "listen",
                     phone: str = "desk") -> None:
        fields = originate_fields(agent_ext, listener_ext, listen_id, ring_timeout_ms=self._ring_timeout_ms,
                                  mode=mode, phone=phone)
        await originate_on_phone(self._ami, listener_endpoint(listener_ext, phone), fields, ListenerPhoneOffline)
