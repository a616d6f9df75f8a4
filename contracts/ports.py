"""The interfaces between the controller and the console, each declared once.

Structural typing: an implementation needs no inheritance. Implemented by `ivr/acd/` (agents,
queues, live feed, listening), `ivr/calls/live_view.py` (live calls), `ivr/health.py` (health) and `recordings/call_files.py` (files);
wired by `ivr/app.py`.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import asyncpg

# The components /healthz reports, in this order; a provider may add more.
HEALTH_COMPONENTS = ("asterisk", "ami", "agi", "database")

# The process's one asyncpg pool, or None while it does not exist (the console answers 503).
PoolProvider = Callable[[], "asyncpg.Pool | None"]


class Health(Protocol):
    def components(self) -> dict[str, bool]:
        """Each component's state right now: True when up. Must not block (read cached state)."""
        ...


class AgentControl(Protocol):
    """Acts on agents' queue membership and reports their live state.

    A state is a mapping: ext, state (logged_out | ready | ringing | on_call | wrap_up | paused),
    reason (pause reason or None), since (datetime), linkedid (the call, or None), phone (the phone the
    queues ring: "desk" | "browser" | "both", None when logged out or neither).
    Commands return the new state; they raise AgentUnknown, AgentCommandRefused or
    TelephonyUnavailable (contracts.errors) and change nothing when they do.
    """

    def snapshot(self) -> list[Mapping[str, Any]]:
        """Every agent the controller knows of (others are logged_out). Must not block."""
        ...

    async def login(self, ext: str, phone: str = "auto") -> Mapping[str, Any]:
        """phone: "desk" (endpoint <ext>), "browser" (the console's WebRTC phone, endpoint <ext>-web), "both"
        (rung at once, the first to answer takes the call) or "auto" (both when both are registered, else
        the one that is)."""
        ...

    async def logout(self, ext: str) -> Mapping[str, Any]: ...

    async def ready(self, ext: str) -> Mapping[str, Any]: ...

    async def pause(self, ext: str, reason: str) -> Mapping[str, Any]: ...

    async def wrapup_submitted(self, ext: str, linkedid: str) -> Mapping[str, Any]:
        """The wrap-up of `linkedid` is stored: the agent leaves wrap-up if still in it for that call."""
        ...


class QueueView(Protocol):
    async def queues(self) -> list[Mapping[str, Any]]:
        """Live queues: queue, waiting, longest_wait_s, members, available. Raises TelephonyUnavailable."""
        ...


class LiveCalls(Protocol):
    """The calls going on now, for the wallboard (implemented by ivr/calls/live_view.py)."""

    def live_calls(self) -> list[Mapping[str, Any]]:
        """Each live call, oldest first: linkedid, phase (menu | calling_115 | at_115 | waiting | talking |
        after), since (ISO time the phase began), started_at, caller_number, caller_name, language,
        branch, queue, agent, emergency. Carries the caller's number: for supervisors and admins only.
        Must not block (reads the controller's memory)."""
        ...


class LiveListen(Protocol):
    """Rings a supervisor's phone to listen to an agent's live call (implemented by ivr/acd/listen.py)."""

    async def listen(self, agent_ext: str, listener_ext: str, listen_id: int, mode: str = "listen",
                     phone: str = "desk") -> None:
        """Ring the listener's phone — "desk": PJSIP/<listener_ext>, "browser": the console's phone
        PJSIP/<listener_ext>-web; once answered it hears both parties of agent_ext's call and
        cannot be heard (mode "listen"); mode "whisper": the agent hears the listener, the caller does not;
        "barge": both do. `listen_id` is the audit row (live_listen_log.id) the listening channel is
        named after. Returns when Asterisk has queued the call (not when it is answered).
        ValueError for an extension that is not digits; ListenerPhoneOffline when the listener's
        phone is not registered; TelephonyUnavailable when Asterisk is away or refuses."""
        ...


class FollowupDialer(Protocol):
    """Calls a citizen from the abandoned-call worklist (implemented by ivr/followups/dialer.py)."""

    async def call_citizen(self, agent_ext: str, number: str, attempt_id: int) -> None:
        """Ring PJSIP/<agent_ext>; once answered, dial `number` through citizen-out (the outbound trunk)
        and bridge them. `attempt_id` is the followup_attempts row the channel is named after. Returns
        when Asterisk has queued the call. ValueError for an extension or number that is not digits;
        AgentPhoneOffline when the agent's phone is not registered; TelephonyUnavailable."""
        ...


class SurgeMirror(Protocol):
    """Writes the surge switch into Asterisk's AstDB (implemented by ivr/followups/surge.py)."""

    async def mirror(self, scope: str, enabled: bool) -> bool:
        """surge/<scope> = 1 or 0 (scope 'all' or a queue name). False when Asterisk is away: the
        controller writes every scope again from PostgreSQL after each AMI (re)connect."""
        ...


class LiveFeed(Protocol):
    """JSON-ready messages: {"type": "agent" | "ringing" | "queue" | "listen", ...} (ivr/acd/live.py)."""

    def subscribe(self) -> asyncio.Queue[Mapping[str, Any]]:
        """A new bounded queue of every message; a full queue loses its oldest message."""
        ...

    def unsubscribe(self, queue: asyncio.Queue[Mapping[str, Any]]) -> None: ...


class RecordingStore(Protocol):
    """Finds a call recording's file (implemented by recordings/call_files.py)."""

    async def locate(self, file_name: str) -> Path | None:
        """The file's path when it exists as a regular file; ValueError for a name that is not <linkedid>.wav."""
        ...


# One figure for /metrics: (name, labels, value); the console renders the Prometheus text format.
Sample = tuple[str, Mapping[str, str], float]


class ControllerFigures(Protocol):
    """What only the controller knows, for /metrics (implemented by ivr/metrics.py)."""

    def samples(self) -> list[Sample]:
        """ivr_writer_backlog{writer} (records buffered, not yet in PostgreSQL), and the like.
        Must not block (read in-memory state)."""
        ...


class SmsSender(Protocol):
    """Hands an SMS to the gateway (implemented by ivr/sms_sender.py over Kannel's sendsms)."""

    async def send(self, receiver: str, text: str, send_id: int) -> None:
        """Returns once the gateway accepted it; its delivery reports name `send_id`.
        Raises contracts.errors.SmsGatewayUnavailable when the gateway is down or refuses."""


class SipBans(Protocol):
    """SIP addresses banned after failed authentications (implemented by ivr/sip_guard.py).

    A ban is a mapping: id, address, banned_at, until, failures, accounts, lifted_at, lifted_by, active."""

    async def bans(self) -> list[Mapping[str, Any]]:
        """The latest bans, newest first."""
        ...

    async def lift(self, ban_id: int, by: str) -> Mapping[str, Any] | None:
        """End an active ban now (Asterisk accepts the address again); None when no such active ban."""
        ...
