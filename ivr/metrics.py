"""The controller's figures for the console's /metrics (contracts.ports.ControllerFigures)."""
from __future__ import annotations

from collections.abc import Mapping

from contracts.ports import Sample
from ivr.store.flusher import BufferedWriter


class ControllerMetrics:
    """Writer backlogs: records each buffered writer holds that PostgreSQL does not have yet."""

    def __init__(self, writers: Mapping[str, BufferedWriter]) -> None:
        self._writers = dict(writers)

    def samples(self) -> list[Sample]:
        return [("ivr_writer_backlog", {"writer": name}, float(writer.buffered))
                for name, writer in self._writers.items()]
