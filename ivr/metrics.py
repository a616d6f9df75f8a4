"""The controller's figures for the console's /metrics (contracts.ports.ControllerFigures).

ivr_writer_backlog{writer}: records a buffered writer holds that PostgreSQL does not have yet.
ivr_raw_rows_loaded_total{file}: raw rows the loader (ivr/calls/raw_load.py) took from Asterisk's local
files because PostgreSQL had missed them, since the controller started; ivr_raw_lines_skipped_total:
lines there that were not raw facts. ivr_calls_rebuilt_total / ivr_calls_adopted_total: calls the
reconciler (ivr/calls/reconcile.py) rebuilt from raw rows / adopted live after a reconnect.
"""
from __future__ import annotations

from collections.abc import Mapping

from contracts.ports import Sample
from ivr.calls.raw_load import RawFactLoader
from ivr.calls.reconcile import Reconciler
from ivr.store.flusher import BufferedWriter


class ControllerMetrics:
    def __init__(self, writers: Mapping[str, BufferedWriter], *, reconciler: Reconciler | None = None,
                 raw_loader: RawFactLoader | None = None) -> None:
        self._writers = dict(writers)
        self._reconciler = reconciler
        self._raw_loader = raw_loader

    def samples(self) -> list[Sample]:
        samples: list[Sample] = [("ivr_writer_backlog", {"writer": name}, float(writer.buffered))
                                 for name, writer in self._writers.items()]
        if self._reconciler is not None:
            samples += [("ivr_calls_rebuilt_total", {}, float(self._reconciler.rebuilt)),
                        ("ivr_calls_adopted_total", {}, float(self._reconciler.adopted))]
        if self._raw_loader is not None:
            samples += [("ivr_raw_rows_loaded_total", {"file": name}, float(rows))
                        for name, rows in self._raw_loader.loaded.items()]
            samples.append(("ivr_raw_lines_skipped_total", {}, float(self._raw_loader.skipped)))
        return samples
