"""Writes agents' state changes to agent_states, in order, and what became of live listens to
live_listen_outcomes (the shared loop is ivr/store/flusher.py): while PostgreSQL is away they wait
in memory and are written, in order, once it is back."""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Generic, TypeVar

import asyncpg

from db.agent_states import StateChange, write_state_changes
from db.live_listen import ListenOutcome, write_listen_outcomes
from ivr.acd.listen import listen_outcome
from ivr.store.flusher import BufferedWriter

T = TypeVar("T")


class _InOrder(BufferedWriter[T], Generic[T]):
    """Items written in the order submitted."""

    def __init__(self, pool: asyncpg.Pool, *, max_batch: int = 200, retry_delay: float = 0.5):
        super().__init__(pool, max_batch=max_batch, retry_delay=retry_delay)
        self._pending: deque[T] = deque()

    def submit(self, item: T) -> None:
        self._pending.append(item)
        self._woken()

    @property
    def buffered(self) -> int:
        return len(self._pending)

    def _take(self, limit: int) -> list[T]:
        return [self._pending[i] for i in range(min(limit, len(self._pending)))]

    def _written(self, batch: list[T]) -> None:
        for _ in batch:
            self._pending.popleft()


class StateWriter(_InOrder[StateChange]):
    what = "agent state changes"

    async def _write(self, con: asyncpg.Connection, batch: list[StateChange]) -> None:
        await write_state_changes(con, batch)


class ListenOutcomeWriter(_InOrder[ListenOutcome]):
    """Routed by ivr/events.py: a listening channel's OriginateResponse / Hangup → live_listen_outcomes."""
    what = "live listen outcomes"

    def __init__(self, pool: asyncpg.Pool, *, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 **kwargs: float) -> None:
        super().__init__(pool, **kwargs)
        self._clock = clock

    def on_listen_event(self, event: Mapping[str, str]) -> None:
        outcome = listen_outcome(event, self._clock)
        if outcome is not None:
            self.submit(outcome)

    async def _write(self, con: asyncpg.Connection, batch: list[ListenOutcome]) -> None:
        await write_listen_outcomes(con, batch)
