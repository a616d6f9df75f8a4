"""Surge bench (issue 7): how many calls/s and concurrent calls 1022 takes on this machine, what
each part costs in CPU, and whether any call record is lost.

    python -m tests.bench.surge [--rate R] [--duration S] [--max-calls N] [--talk S] [--hold S]
                                [--agents N] [--find-knee] [--no-ceiling] [--out FILE]

Starts its own PostgreSQL, Asterisk (project dialplan) and controller subprocess; sipp agents
register and answer, sipp callers arrive at R calls/s pressing 2, 3 or 4 and stay until released
or --hold passes. Then the ceiling: the same load with the controller stopped (bare Asterisk,
FastAGI failing over to the dialplan's defaults, agents put in the queues with AMI QueueAdd).
Everything talks over 127.0.0.1 only; every sipp run has -m and a wall-clock limit.
Results: JSON in --out (default tests/bench/results-surge.json), also returned by bench_surge().
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from db.demo import read_demo_data
from tests.bench.surge_agents import ApiAgents, reset_members_by_ami
from tests.bench.surge_load import SurgeLoad, caller_totals
from tests.bench.surge_measure import (
    ChannelSampler,
    CpuMeter,
    per_1000_calls,
    record_stats,
    wrapups_count,
)
from tests.bench.surge_stack import SurgeStack
from tests.bench.surge_ws import WsFanout, WsLatency

log = logging.getLogger("surge")
DEFAULT_OUT = Path(__file__).resolve().parent / "results-surge.json"
KNEE_RATES = (2, 5, 10, 20, 30, 40, 50)
TARGETS = {"rate_cps": 20, "duration_s": 300, "concurrent_calls": 400,
           "controller_cpu_vs_asterisk": 0.15, "event_to_websocket_p99_ms": 100, "records_lost": 0}


async def bench_surge(rate: float = 20, duration: float = 300, max_calls: int | None = None,
                      talk: float = 5, hold: float = 20, agents: int = 16, find_knee: bool = False,
                      knee_window: float = 30, knee_hold: float | None = None,
                      knee_rates: tuple[float, ...] = KNEE_RATES,
                      ceiling: bool = True,
                      out: Path | str | None = DEFAULT_OUT, asterisk_root: Path | None = None) -> dict:
    """Run the surge bench; returns the results (and writes them to `out` unless None)."""
    max_calls = max_calls or max(1, int(rate * duration))
    people = [p for p in read_demo_data() if p.role == "agent"][:agents]
    result: dict = {"params": {"rate_cps": rate, "max_calls": max_calls, "talk_s": talk, "hold_s": hold,
                               "agents": len(people), "cpus": os.cpu_count(),
                               "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
                    "targets": TARGETS, "started_at": _now().isoformat()}
    stack = SurgeStack(queue_max_wait_s=300, wrapup_limit_s=120, root=asterisk_root)
    load: SurgeLoad | None = None
    api: ApiAgents | None = None
    try:
        await stack.start()
        assert stack.asterisk is not None
        load = SurgeLoad(stack.options.sip_port)
        total_calls = max_calls * 3 + sum(int(r * knee_window) for r in knee_rates) + 100
        await load.start_agents(people, talk_s=talk, max_calls=total_calls, timeout_s=_wall_limit(
            max_calls, rate, hold) * 3 + (len(knee_rates) * (knee_window + max(hold, knee_hold or 0) + 90)
                                       if find_knee else 0))
        await stack.start_controller()
        api = ApiAgents(stack.http_port, people)
        await api.login_all()
        api.start_wrapups()
        result["controller_on"] = await run_phase(stack, load, api, rate, max_calls, hold)
        if find_knee:
            result["knee"] = await knee(stack, load, api, knee_rates, hold=knee_hold or hold,
                                        window=knee_window)
        await api.close()
        api = None
        if ceiling:
            await stack.stop_controller()
            o = stack.options
            await reset_members_by_ami(o.ami_port, o.ami_user, o.ami_secret, people)
            result["bare_asterisk"] = await run_phase(stack, load, None, rate, max_calls, hold)
            result["controller_vs_bare"] = compare(result["controller_on"], result["bare_asterisk"])
        result["summary"] = summarize(result)
    finally:
        if api is not None:
            await api.close()
        if load is not None:
            await load.close()
        await stack.stop()
    result["finished_at"] = _now().isoformat()
    if out is not None:
        Path(out).write_text(json.dumps(result, indent=2) + "\n")
    return result


async def run_phase(stack: SurgeStack, load: SurgeLoad, api: ApiAgents | None, rate: float,
                    max_calls: int, hold: float, ws_clients: int = 1) -> dict:
    """One bounded load: callers at `rate`, measured from the first call until every record is in."""
    assert stack.asterisk is not None
    controller = stack.controller.pid if stack.controller else None
    meter = CpuMeter({"asterisk": stack.asterisk.pid, "controller": controller, "postgres": stack.cluster.pid},
                     sip_port=stack.options.sip_port)
    sampler = ChannelSampler(stack.asterisk)
    since, wall_limit = _now(), _wall_limit(max_calls, rate, hold)
    wrapups_before = len(api.submitted) if api else 0
    ws: WsLatency | WsFanout | None = None
    if controller:
        ws = WsLatency(stack.http_port) if ws_clients == 1 else WsFanout(stack.http_port, ws_clients)
    if ws is not None:
        await ws.start()
    meter.start()
    sampler.start()
    started = time.monotonic()
    callers = await load.start_callers(rate=rate, max_calls=max_calls, hold_s=hold, timeout_s=wall_limit)
    await _wait_all(callers, wall_limit + 15)
    load_s = time.monotonic() - started
    await sampler.stop()
    sipp = caller_totals(callers)
    records = await _settle_records(stack.database_url, since, sipp["successful"]) if controller else None
    cpu = meter.stop()
    ws_ms = await ws.stop() if ws is not None else None
    phase = {"calls": {"attempted": sipp["created"], "completed": sipp["successful"],
                       "failed": sipp["created"] - sipp["successful"]},
             "load_seconds": round(load_s, 1), "arrival_seconds": sipp["arrival_s"],
             "achieved_rate_cps": round(sipp["created"] / sipp["arrival_s"], 2) if sipp["arrival_s"] else None,
             "peak_concurrent_calls": sampler.peak_calls, "peak_channels": sampler.peak_channels,
             "cpu_seconds": cpu, "cpu_seconds_per_1000_calls": per_1000_calls(cpu, sipp["created"]),
             "cpu_seconds_other": meter.others, "machine_busy_pct": meter.machine_busy_pct,
             "asterisk_sip_socket_drops": meter.sip_socket_drops,
             "controller_running": controller is not None}
    if records is not None:
        phase["records"] = records
        phase["records_lost"] = max(0, sipp["successful"] - records["complete"])
        phase["event_to_row_ms"] = records.pop("event_to_row_ms")
        phase["event_to_websocket_ms"] = ws_ms
    if api is not None:
        phase["wrapups"] = {"submitted": len(api.submitted) - wrapups_before, "refused": dict(api.refused),
                            "stored": await wrapups_count(stack.database_url, since)}
    if phase["calls"]["failed"]:
        phase["sipp_errors"] = "\n".join(run.errors(800) for run in callers)[-6000:]
    log.info("phase done: %s", {k: phase[k] for k in ("calls", "peak_concurrent_calls", "cpu_seconds")})
    return phase


async def _wait_all(runs: list, timeout: float) -> None:
    """Wait for the sipp runs; kill (by PID) whatever outlives the wall-clock limit."""
    try:
        await asyncio.wait_for(asyncio.gather(*(run.process.wait() for run in runs)), timeout)
    except TimeoutError:
        for run in runs:
            run.kill()
        await asyncio.gather(*(run.process.wait() for run in runs))


async def _settle_records(database_url: str, since: datetime, completed: int, timeout: float = 30) -> dict:
    """Call records of the phase, once every completed call has a complete row (or timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        stats = await record_stats(database_url, since)
        if stats["complete"] >= completed or time.monotonic() > deadline:
            return stats
        await asyncio.sleep(0.5)


async def knee(stack: SurgeStack, load: SurgeLoad, api: ApiAgents, rates: tuple[float, ...], *,
               hold: float, window: float) -> dict:
    """Step the arrival rate up; the knee is the highest rate with no failed call, no lost record,
    and arrivals within 15 % of the rate asked (sipp's stats have 1 s steps)."""
    steps, best = [], None
    for rate in rates:
        phase = await run_phase(stack, load, api, rate, max(1, int(rate * window)), hold)
        ok = (phase["calls"]["failed"] == 0 and phase.get("records_lost", 0) == 0
              and (phase["achieved_rate_cps"] or 0) >= 0.85 * rate)
        steps.append({"rate_cps": rate, "ok": ok, **{k: phase[k] for k in (
            "calls", "achieved_rate_cps", "peak_concurrent_calls", "cpu_seconds", "cpu_seconds_per_1000_calls",
            "machine_busy_pct", "asterisk_sip_socket_drops")},
            "records_lost": phase.get("records_lost"), "event_to_row_ms": phase.get("event_to_row_ms")})
        if not ok:
            steps[-1]["sipp_errors"] = phase.get("sipp_errors", "")
            break
        best = rate
        await asyncio.sleep(3)      # let the last callers' hang-ups land
    return {"window_s": window, "hold_s": hold, "knee_rate_cps": best,
            "limited_by_steps": bool(steps) and steps[-1]["ok"], "steps": steps}


def compare(on: dict, bare: dict) -> dict:
    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 2) if a is not None and b else None

    return {"completed_ratio": ratio(on["calls"]["completed"], bare["calls"]["completed"]),
            "asterisk_cpu_ratio": ratio(on["cpu_seconds"]["asterisk"], bare["cpu_seconds"]["asterisk"]),
            "total_cpu_ratio": ratio(sum(on["cpu_seconds"].values()), sum(bare["cpu_seconds"].values()))}


def summarize(result: dict) -> dict:
    on = result["controller_on"]
    cpu = on["cpu_seconds"]
    summary = {
        "achieved_rate_cps": on["achieved_rate_cps"], "completed": on["calls"]["completed"],
        "failed": on["calls"]["failed"], "peak_concurrent_calls": on["peak_concurrent_calls"],
        "controller_cpu_vs_asterisk": round(cpu["controller"] / cpu["asterisk"], 3) if cpu["asterisk"] else None,
        "records_lost": on.get("records_lost"), "event_to_row_p99_ms": (on.get("event_to_row_ms") or {}).get("p99"),
        "event_to_websocket_p99_ms": (on.get("event_to_websocket_ms") or {}).get("p99"),
    }
    if "knee" in result:
        summary["knee_rate_cps"] = result["knee"]["knee_rate_cps"]
    if "controller_vs_bare" in result:
        summary["controller_vs_bare"] = result["controller_vs_bare"]
    return summary


def _wall_limit(max_calls: int, rate: float, hold: float) -> float:
    return max_calls / rate + hold + 60


def _now() -> datetime:
    return datetime.now(UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.surge", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20, help="callers per second (default 20)")
    parser.add_argument("--duration", type=float, default=300, help="seconds of arrivals (default 300)")
    parser.add_argument("--max-calls", type=int, help="calls in all (default rate × duration)")
    parser.add_argument("--talk", type=float, default=5, help="agent talk time, s (default 5)")
    parser.add_argument("--hold", type=float, default=20, help="longest a caller stays, s (default 20)")
    parser.add_argument("--agents", type=int, default=16, help="sipp agents, 1-16 (default 16)")
    parser.add_argument("--find-knee", action="store_true", help="also step the rate up to find the knee")
    parser.add_argument("--knee-window", type=float, default=30, help="seconds of arrivals per knee step")
    parser.add_argument("--knee-hold", type=float, help="longest a caller stays in knee steps (default --hold)")
    parser.add_argument("--knee-rates", default=",".join(map(str, KNEE_RATES)),
                        help="comma-separated rates of the knee steps (default %(default)s)")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the bare-Asterisk run")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    result = asyncio.run(bench_surge(rate=args.rate, duration=args.duration, max_calls=args.max_calls,
                                     talk=args.talk, hold=args.hold, agents=args.agents,
                                     find_knee=args.find_knee, knee_window=args.knee_window,
                                     knee_hold=args.knee_hold,
                                     knee_rates=tuple(float(r) for r in args.knee_rates.split(",")),
                                     ceiling=not args.no_ceiling, out=args.out))
    print(json.dumps(result["summary"], indent=2))
    print(f"full results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
