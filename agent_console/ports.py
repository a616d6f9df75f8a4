"""What the console needs from the process that hosts it, as small interfaces.

The console never imports `ivr`: the composition root (ivr/app.py) hands init_app objects
that satisfy these protocols (structural typing: no inheritance needed).
"""
from __future__ import annotations

import asyncio
from typing import Any, Mapping, Protocol

import asyncpg

# The components /healthz reports, in this order; a provider may add more.
HEALTH_COMPONENTS = ("asterisk", "ami", "agi", "database")


class Health(Protocol):
    def components(self) -> dict[str, bool]:
        """Each component's state right now: True when up. Must not block (read cached state)."""
        ...


class PoolProvider(Protocol):
    def __call__(self) -> asyncpg.Pool | None:
        """The process's one asyncpg pool, None while it does not exist yet (requests get 503)."""
        ...


# -- agents and queues (implemented by ivr/acd, handed over by ivr/app.py) -----------------------

class AgentUnknown(LookupError):
    """No agent with that extension (404)."""


class AgentCommandRefused(Exception):
    """The command is not possible in the agent's current state, e.g. `ready` while on a call (409)."""


class TelephonyUnavailable(Exception):
    """Asterisk could not be reached or refused the action (503)."""


class ListenerPhoneOffline(Exception):
    """The listener's own phone has no registered contact, so it cannot ring (409)."""


class AgentControl(Protocol):
    """Acts on agents' queue membership and reports their live state.

    A state is a mapping: ext, state (logged_out | ready | ringing | on_call | wrap_up | paused),
    reason (pause reason or None), since (datetime), linkedid (the call, or None).
    Commands return the new state; they raise AgentUnknown, AgentCommandRefused or
    TelephonyUnavailable and change nothing when they do.
    """

    def snapshot(self) -> list[Mapping[str, Any]]:
        """Every agent the controller knows of (others are logged_out). Must not block."""
        ...

    async def login(self, ext: str) -> Mapping[str, Any]: ...

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


class LiveListen(Protocol):
    """Rings a supervisor's phone to listen to an agent's live call (implemented by ivr/acd/listen.py)."""

    async def listen(self, agent_ext: str, listener_ext: str, listen_id: int) -> None:
        """Ring PJSIP/<listener_ext>; once answered it hears both parties of agent_ext's call and
        cannot be heard. `listen_id` is the audit row (live_listen_log.id) the listening channel is
        named after. Returns when Asterisk has queued the call (not when it is answered).
        ValueError for an extension that is not digits; ListenerPhoneOffline when the listener's
        phone is not registered; TelephonyUnavailable when Asterisk is away or refuses."""
        ...


# -- live updates for the console's WebSocket (implemented by ivr/acd/live.py) -------------------

class LiveFeed(Protocol):
    """JSON-ready messages: {"type": "agent" | "ringing" | "queue", ...} (see ivr/acd/live.py)."""

    def subscribe(self) -> asyncio.Queue[Mapping[str, Any]]:
        """A new bounded queue of every message; a full queue loses its oldest message."""
        ...

    def unsubscribe(self, queue: asyncio.Queue[Mapping[str, Any]]) -> None: ...
