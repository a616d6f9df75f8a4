"""The edge and fan-out parts' tables for docs/performance.md (rendered by performance_doc.render)."""
from __future__ import annotations

from tests.bench.edge import MODES, spread


def _row(*cells: object) -> str:
    return "| " + " | ".join("—" if c is None else str(c) for c in cells) + " |"


def _p(stats: dict | None, key: str):
    return (stats or {}).get(key)


def edge_tables(edge: dict) -> list[str]:
    params, summary = edge.get("params", {}), edge.get("summary", {})
    lines = [f"Edge: knee steps {params.get('rates_cps')} calls/s, {params.get('window_s')} s of arrivals each, "
             f"callers holding at most {params.get('hold_s')} s, {params.get('repeats')} repeats of the blocks "
             f"[controller modes {', '.join(params.get('controller_modes') or ['on', 'niced'])} at each rate (niced: "
             f"Asterisk at nice {params.get('asterisk_nice')} + SCHED_BATCH; rt: the controller under SCHED_RR 1)] "
             f"[bare Asterisk at each rate]; load average at start {params.get('loadavg_at_start')}.", "",
             _row("Step", "Mode", "Rate", "Load avg (1 min) at start", "Completed / attempted", "Peak calls up",
                  "Event → WS p50 / p99 (ms)", "Event → row p50 / p99 (ms)", "Controller RSS peak (MiB)"),
             _row(*["---"] * 9)]
    for n, s in enumerate(edge.get("steps", []), 1):
        ws, row = s.get("event_to_websocket_ms"), s.get("event_to_row_ms")
        lines.append(_row(n, s["mode"], s["rate_cps"], (s.get("loadavg_at_start") or [None])[0],
                          f"{s['completed']} / {s['attempted']}", s.get("peak_concurrent_calls"),
                          f"{_p(ws, 'p50')} / {_p(ws, 'p99')}" if ws else "n/a",
                          f"{_p(row, 'p50')} / {_p(row, 'p99')}" if row else "n/a",
                          s.get("controller_rss_peak_mib")))
    lines += ["", _row("Mode", "Knee per repeat (calls/s)", "Knee ÷ bare per repeat (goal ≥ 0.95)",
                       "Completed ÷ bare by rate, median (range) (goal ≥ 0.99)",
                       "WS p99 by rate, median (range) (goal ≤ 100 ms)", "Row p99 by rate (goal ≤ 250 ms)"),
              _row(*["---"] * 6)]
    for mode in [name for name in MODES if name in summary]:
        m = summary.get(mode, {})
        lines.append(_row(mode, m.get("knee_per_repeat"), m.get("knee_ratio_vs_bare", "—"),
                          _by_rate(m.get("completed_ratio_vs_bare")), _by_rate(m.get("websocket_p99_ms")),
                          _by_rate(m.get("row_p99_ms"))))
    reports = edge.get("year_reports") or []
    if reports:
        lines += ["", "Year report through the console's API (`GET /api/v1/reports/summary`, 2021, "
                      f"{(edge.get('year_generated') or {}).get('calls')} generated calls) after each controller "
                      "block: " + "; ".join(f"{r.get('seconds')} s, HTTP {r.get('status')}, controller RSS "
                                            f"{r.get('controller_rss_before_mib')} → {r.get('controller_rss_after_mib')} MiB"
                                            for r in reports) + "."]
    return lines


def _by_rate(values: dict | None) -> str:
    if not values:
        return "—"
    return "; ".join(f"{rate}/s: {spread(v)}" for rate, v in values.items())


def fanout_table(fanout: dict) -> list[str]:
    params = fanout.get("params", {})
    lines = [f"Fan-out: {params.get('rate_cps')} calls/s for {params.get('duration_s')} s with "
             f"{params.get('clients')} WebSocket clients (10 agents, the rest supervisors' tabs), then one client alone.",
             "", _row("Clients", "Load avg (1 min) at start", "Completed / attempted", "Messages received",
                      "Event → WS p50 / p99 (ms)", "Worst client's p99 (ms)", "Controller CPU-s / 1,000 calls"),
             _row(*["---"] * 7)]
    for run in fanout.get("runs", []):
        ws = run.get("websocket_ms") or {}
        lines.append(_row(run["clients"], (run.get("loadavg_at_start") or [None])[0],
                          f"{run['completed']} / {run['attempted']}", ws.get("n"),
                          f"{ws.get('p50')} / {ws.get('p99')}", ws.get("worst_client_p99", ws.get("p99")),
                          (run.get("cpu_seconds_per_1000_calls") or {}).get("controller")))
    return lines
