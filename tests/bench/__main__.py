"""`make bench`: the report benchmark and the surge benchmark.

Figures go to tests/bench/results.json and into docs/performance.md. Bounded: every load has a
call count and a wall-clock limit, sends traffic to 127.0.0.1 only, and stops by itself. A run of
some parts keeps the figures of the others from the previous results.json.
Knobs (environment): BENCH_SURGE_RATE (20), BENCH_SURGE_DURATION (300 s),
BENCH_KNEE_RATES ("10,15,20,25,30,35,40,50"; the steps stop at the first rate with a failed call),
BENCH_KNEE_WINDOW (60 s), BENCH_REPORT_CALLS (3000000: a year of calls, generated in SQL; the report part
times the year and one month, from the roll-up and from the raw rows), BENCH_PARTS ("reports,surge,surge-callback,channels,edge,fanout").
The edge part (tests/bench/edge.py): BENCH_EDGE_RATES ("50,75,100"; the knee of this machine was 75, of the
slower one before 30-35: pick steps around the machine's), BENCH_EDGE_WINDOW (20 s), BENCH_EDGE_HOLD (20 s),
BENCH_EDGE_REPEATS (2), BENCH_EDGE_NICE (10), BENCH_EDGE_MODES ("on,niced"; add rt for the controller under
SCHED_RR), BENCH_EDGE_YEAR_CALLS (100000); the fan-out part:
BENCH_FANOUT_RATE (20), BENCH_FANOUT_DURATION (45 s), BENCH_FANOUT_CLIENTS (50). The channels part: BENCH_SMS (1000)
SMS through Kannel at BENCH_SMS_RATE (100/s) and BENCH_PORTAL (1000) portal submissions.
The surge-callback part (tests/bench/surge_callback.py): BENCH_CB_RATE (3),
BENCH_CB_DURATION (60 s), BENCH_CB_AGENTS (6), BENCH_CB_TALK (5 s), BENCH_CB_PATIENCE (15 s),
BENCH_CALLBACK_SHARE (0.5), BENCH_CB_DRAIN (180 s).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from tests.bench.edge import bench_edge, bench_fanout
from tests.bench.performance_doc import render
from tests.bench.reports_year import _main as run_report_bench
from tests.bench.surge import bench_surge
from tests.bench.surge_callback import bench_surge_callback
from tests.bench.channels import bench_channels, channels_from_env

RESULTS = Path(__file__).resolve().parent / "results.json"


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _previous() -> dict:
    """The last figures, so a run of one part (BENCH_PARTS) keeps the other part's."""
    try:
        return json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        return {}


def _warn_if_busy() -> None:
    """Figures from a machine that is busy with other work measure the neighbours: say so."""
    load_1m, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load_1m > cores / 2:
        logging.warning("load average %.1f on %d cores before the bench: other work is running, and the "
                        "figures will be lower than this machine can do (stop it, or wait)", load_1m, cores)


async def run() -> dict:
    parts = os.environ.get("BENCH_PARTS", "reports,surge,surge-callback,channels,edge,fanout").split(",")
    _warn_if_busy()
    results: dict = {**_previous(),
                     "machine": {"description": f"{os.cpu_count()} cores, {platform.machine()}, "
                                                f"Python {platform.python_version()}"},
                     "started_at": datetime.now(UTC).isoformat(), "parts_run": parts}
    results.pop("note", None)
    if "reports" in parts:
        logging.info("report benchmark: a year and a month, roll-up and raw")
        results["reports"] = await run_report_bench(int(_env_float("BENCH_REPORT_CALLS", 3_000_000)))
        results["reports"]["finished_at"] = datetime.now(UTC).isoformat()
    if "surge" in parts:
        rates = tuple(float(r) for r in os.environ.get("BENCH_KNEE_RATES", "10,15,20,25,30,35,40,50").split(","))
        logging.info("surge benchmark through real SIP")
        results["surge"] = await bench_surge(
            rate=_env_float("BENCH_SURGE_RATE", 20), duration=_env_float("BENCH_SURGE_DURATION", 300),
            find_knee=True, knee_rates=rates, knee_window=_env_float("BENCH_KNEE_WINDOW", 60), out=None)
    if "surge-callback" in parts:
        logging.info("surge with keep-place callbacks through real SIP")
        results["surge_callback"] = await bench_surge_callback()
    if "channels" in parts:
        logging.info("written channels: a burst of SMS through Kannel and of portal submissions")
        results["channels"] = await bench_channels(*channels_from_env())
        results["channels"]["finished_at"] = datetime.now(UTC).isoformat()
    if "edge" in parts:
        logging.info("edge benchmark: the knee with the controller (normal and niced Asterisk) and bare, interleaved")
        rates = tuple(float(r) for r in os.environ.get("BENCH_EDGE_RATES", "50,75,100").split(","))
        results["edge"] = await bench_edge(
            rates=rates, window=_env_float("BENCH_EDGE_WINDOW", 20), hold=_env_float("BENCH_EDGE_HOLD", 20),
            repeats=int(_env_float("BENCH_EDGE_REPEATS", 2)), nice=int(_env_float("BENCH_EDGE_NICE", 10)),
            year_calls=int(_env_float("BENCH_EDGE_YEAR_CALLS", 100_000)),
            modes=tuple(os.environ.get("BENCH_EDGE_MODES", "on,niced").split(",")))
    if "fanout" in parts:
        logging.info("fan-out benchmark: 50 WebSocket clients on the live feed")
        results["fanout"] = await bench_fanout(
            rate=_env_float("BENCH_FANOUT_RATE", 20), duration=_env_float("BENCH_FANOUT_DURATION", 45),
            clients=int(_env_float("BENCH_FANOUT_CLIENTS", 50)))
    results["finished_at"] = datetime.now(UTC).isoformat()
    return results


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    results = asyncio.run(run())
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    render(results)
    print(f"figures written to {RESULTS} and docs/performance.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
