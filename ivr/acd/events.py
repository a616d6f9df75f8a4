"""In-process pub/sub of agent state changes (the console's WebSocket subscribes later).

`publish` never blocks (it runs inside the AMI reader): each subscriber has its own bounded
queue; a subscriber that does not keep up loses its oldest changes, never the newest, and
never slows the publisher or the other subscribers.
"""
from __future__ import annotations

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class Bus(Generic[T]):
    def __init__(self, maxsize: int = 256):
        self._maxsize = maxsize
        self._queues: list[asyncio.Queue[T]] = []

    def subscribe(self) -> asyncio.Queue[T]:
        queue: asyncio.Queue[T] = asyncio.Queue(self._maxsize)
        self._queues.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[T]) -> None:
        if queue in self._queues:
            self._queues.remove(queue)

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    @property
    def longest_backlog(self) -> int:
        """Messages waiting in the fullest subscriber's queue (never more than maxsize)."""
        return max((queue.qsize() for queue in self._queues), default=0)

    def publish(self, item: T) -> None:
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()   # drop the oldest: a live view wants the latest state
            queue.put_nowait(item)
