"""The console's live feed: agent state changes, queue waiting counts and screen pops.

One Bus of JSON-ready messages. Agent states arrive through AgentStateBus (the AgentService's
own bus: it also republishes each state as {"type": "agent", ...}); AMI queue events arrive
through `handle` (an AMI subscriber, memory only, never blocks):

  {"type": "agent", "ext", "state", "reason", "since", "linkedid"}
  {"type": "ringing", "ext", "linkedid", "caller_number", "caller_name", "queue", "branch", "emergency"}
  {"type": "queue", "queue", "waiting"}
  {"type": "listen", "ext" (the listener), "agent", "result"}   (ivr/acd/listen.py)
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ivr.acd.events import Bus
from ivr.acd.listen import listen_message
from ivr.constants import QUEUE_EMERGENCY, branch_of_queue

Message = Mapping[str, Any]
# The IVR steps of a call so far (the call tracker's memory): [(kind, value), ...].
PathOf = Callable[[str], list[tuple[str, str]]]
# QueueCallerAbandon carries no Count: the QueueCallerLeave that always follows it does.


class AgentStateBus(Bus[Mapping[str, Any]]):
    """The AgentService's bus; every state it publishes also goes to the live feed."""

    def __init__(self, feed: LiveHub, maxsize: int = 256):
        super().__init__(maxsize)
        self._feed = feed

    def publish(self, item: Mapping[str, Any]) -> None:
        super().publish(item)
        self._feed.publish({"type": "agent", **{k: _json(v) for k, v in item.items()}})


class LiveHub:
    """Implements contracts.ports.LiveFeed."""

    def __init__(self, maxsize: int = 256, path_of: PathOf | None = None):
        self._bus: Bus[Message] = Bus(maxsize)
        self._path_of = path_of
        self.agent_states = AgentStateBus(self)

    def subscribe(self) -> asyncio.Queue[Message]:
        return self._bus.subscribe()

    def unsubscribe(self, queue: asyncio.Queue[Message]) -> None:
        self._bus.unsubscribe(queue)

    def publish(self, message: Message) -> None:
        self._bus.publish(message)

    @property
    def subscribers(self) -> int:
        return self._bus.subscribers

    @property
    def longest_backlog(self) -> int:
        return self._bus.longest_backlog

    # -- AMI events (routed here by ivr/events.py; inside the AMI reader: memory only) ----------
    def on_agent_called(self, event: Mapping[str, str]) -> None:
        """AgentCalled → the ringing agent's screen pop, with the caller's IVR path so far."""
        message = ringing_message(event)
        if message is None:
            return
        if self._path_of is not None and message["linkedid"]:
            message["ivr_path"] = [{"kind": k, "value": v} for k, v in self._path_of(message["linkedid"])]
        self.publish(_stamped(message, event))

    def on_listen_event(self, event: Mapping[str, str]) -> None:
        """OriginateResponse / Hangup of a supervisor's listening channel → what became of the listen."""
        message = listen_message(event)
        if message is not None:
            self.publish(_stamped(message, event))

    def on_queue_count(self, event: Mapping[str, str]) -> None:
        """QueueCallerJoin / QueueCallerLeave → how many callers wait in that queue now."""
        if event.get("Queue") and event.get("Count") is not None:
            self.publish(_stamped({"type": "queue", "queue": event["Queue"], "waiting": _int(event.get("Count"))},
                                  event))


def _stamped(message: dict[str, Any], event: Mapping[str, str]) -> dict[str, Any]:
    """Adds `event_at` (epoch seconds, float): Asterisk's Timestamp (timestampevents=yes), when the
    event carries one — the bench measures event → WebSocket latency from it."""
    try:
        message["event_at"] = float(event["Timestamp"])
    except (KeyError, ValueError):
        pass
    return message


def ringing_message(event: Mapping[str, str]) -> dict[str, Any] | None:
    """AgentCalled → the screen pop of the member (MemberName is the agent's extension)."""
    ext = event.get("MemberName") or ""
    if not ext:
        return None
    queue = event.get("Queue", "")
    branch = branch_of_queue(queue)
    return {"type": "ringing", "ext": ext, "linkedid": event.get("Linkedid") or event.get("Uniqueid"),
            "caller_number": event.get("CallerIDNum", ""), "caller_name": _unknown_empty(event.get("CallerIDName")),
            "queue": queue, "branch": branch.digit if branch else None,
            "emergency": queue == QUEUE_EMERGENCY}


def _unknown_empty(value: str | None) -> str:
    return "" if value in (None, "<unknown>") else value


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
