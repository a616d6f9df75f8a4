"""Live queues for the console, read from Asterisk (QueueStatus) when asked: Asterisk is the
truth about who waits, and one list action per request is cheap at a hotline's scale."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.errors import TelephonyUnavailable
from ivr.ami.actions import AmiActions
from ivr.ami.client import AmiError
from ivr.constants import QUEUES

# app_queue member Status values that can take a call now (AST_DEVICE_NOT_INUSE, _UNKNOWN).
_FREE_STATUSES = ("1", "0")


class QueueMonitor:
    def __init__(self, ami: AmiActions) -> None:
        self._ami = ami

    async def queues(self) -> list[Mapping[str, Any]]:
        try:
            events = await self._ami.collect("QueueStatus")
        except AmiError as exc:
            raise TelephonyUnavailable(str(exc)) from None
        return summarise(events)


def summarise(events: list[Mapping[str, str]]) -> list[dict[str, Any]]:
    """QueueParams/QueueEntry/QueueMember events → one summary per queue (known queues first)."""
    names = [e["Queue"] for e in events if e.get("Event") == "QueueParams" and e.get("Queue")]
    order = [q for q in QUEUES if q in names] + sorted(set(names) - set(QUEUES))
    summary = {q: {"queue": q, "waiting": 0, "longest_wait_s": 0, "members": 0, "available": 0} for q in order}
    for event in events:
        queue = summary.get(event.get("Queue", ""))
        if queue is None:
            continue
        if event.get("Event") == "QueueEntry":
            queue["waiting"] += 1
            queue["longest_wait_s"] = max(queue["longest_wait_s"], _int(event.get("Wait")))
        elif event.get("Event") == "QueueMember":
            queue["members"] += 1
            free = event.get("Paused") != "1" and event.get("InCall") != "1"
            queue["available"] += int(free and event.get("Status") in _FREE_STATUSES)
    return list(summary.values())


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0
