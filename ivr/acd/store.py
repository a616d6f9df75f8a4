"""Writes agents' state changes to agent_states, in order (the shared loop is
ivr/store/flusher.py): while PostgreSQL is away the changes wait in memory and are written,
in order, once it is back."""
from __future__ import annotations

from collections import deque

import asyncpg

from db.agent_states import StateChange, write_state_changes
from ivr.store.flusher import BufferedWriter, PoolProvider


class StateWriter(BufferedWriter[StateChange]):
    what = "agent state changes"

    def __init__(self, pool: PoolProvider, *, max_batch: int = 200, retry_delay: float = 0.5):
        super().__init__(pool, max_batch=max_batch, retry_delay=retry_delay)
        self._pending: deque[StateChange] = deque()

    def submit(self, change: StateChange) -> None:
        self._pending.append(change)
        self._woken()

    @property
    def buffered(self) -> int:
        return len(self._pending)

    def _take(self, limit: int) -> list[StateChange]:
        return [self._pending[i] for i in range(min(limit, len(self._pending)))]

    async def _write(self, con: asyncpg.Connection, batch: list[StateChange]) -> None:
        await write_state_changes(con, batch)

    def _written(self, batch: list[StateChange]) -> None:
        for _ in batch:
            self._pending.popleft()
