"""The edge bench's arithmetic (tests/bench/edge.py): knees per repeat, ratios against bare, spread."""
from __future__ import annotations

from tests.bench.edge import spread, summarize_edge


def _step(mode: str, rate: float, repeat: int, completed: int, attempted: int, ws99: float | None = None) -> dict:
    step = {"mode": mode, "rate_cps": rate, "repeat": repeat, "completed": completed, "attempted": attempted,
            "ok": completed == attempted}
    if ws99 is not None:
        step["event_to_websocket_ms"] = {"p99": ws99}
    return step


def test_knee_is_the_last_clean_step_and_ratios_pair_the_same_repeat():
    steps = [_step("on", 20, 0, 400, 400, 30), _step("on", 30, 0, 590, 600, 900),
             _step("bare", 20, 0, 400, 400), _step("bare", 30, 0, 600, 600),
             _step("on", 20, 1, 400, 400, 40), _step("on", 30, 1, 600, 600, 80),
             _step("bare", 20, 1, 400, 400), _step("bare", 30, 1, 600, 600)]
    summary = summarize_edge(steps, (20, 30))
    assert summary["on"]["knee_per_repeat"] == [20, 30]
    assert summary["bare"]["knee_per_repeat"] == [30, 30]
    assert summary["on"]["knee_ratio_vs_bare"] == [0.667, 1.0]
    assert summary["on"]["completed_ratio_vs_bare"] == {20: [1.0, 1.0], 30: [0.983, 1.0]}
    assert summary["on"]["websocket_p99_ms"][30] == [900, 80]
    assert summary["niced"]["knee_per_repeat"] == [None, None]     # no niced steps: no knee, no ratio
    assert summary["niced"]["knee_ratio_vs_bare"] == [None, None]


def test_spread_is_median_and_range():
    assert spread([3, 1, 2]) == "2 (1–3)"
    assert spread([None, 5]) == "5"
    assert spread([]) == "–"
