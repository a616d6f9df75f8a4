"""The console's memory of who is ringing: the latest ringing message per agent extension."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.ports import LiveFeed


class RingingCalls:
    """Latest ringing message per agent extension (caller number, queue, linkedid), kept by one
    app-level subscriber of the live feed (agent_console/live.py starts it)."""

    def __init__(self) -> None:
        self.ringing: dict[str, Mapping[str, Any]] = {}

    async def follow(self, feed: LiveFeed) -> None:
        queue = feed.subscribe()
        try:
            while True:
                message = await queue.get()
                if message.get("type") == "ringing":
                    self.ringing[str(message.get("ext"))] = message
        finally:
            feed.unsubscribe(queue)
