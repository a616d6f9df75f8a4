"""Performance at the edge (issue 18): saturation, the knee against bare Asterisk, memory, fan-out.

`edge` — one stack, the same knee steps (BENCH_EDGE_RATES, BENCH_EDGE_WINDOW s of arrivals, callers
holding BENCH_EDGE_HOLD s) in the controller modes BENCH_EDGE_MODES ("on,niced") and bare, interleaved as
blocks repeated BENCH_EDGE_REPEATS times:
  on      — the controller up, Asterisk at normal priority;
  niced   — the same, Asterisk's threads at nice BENCH_EDGE_NICE under SCHED_BATCH (switched live);
  rt      — (only when asked for) Asterisk at normal priority and the controller's threads under SCHED_RR at
            the lowest real-time priority (1): it runs the moment it has work, ahead of every normal thread;
  bare    — the controller stopped: bare Asterisk, the ceiling.
Order: [on, niced (, rt) at each rate] [bare at each rate] [on, niced …] [bare …]: the machine's drift
shows as spread between repeats, not as a difference between modes. Each step records the load
average at its start, completed/attempted calls, event → WebSocket and event → row percentiles,
and the controller's resident memory (the console is served by the controller's own process,
so it is one figure). Before the first block a year of BENCH_EDGE_YEAR_CALLS calls is generated
into the stack's database; after each controller block the year's summary is asked through the
console's API and the memory read again.

`fanout` — 50 WebSocket clients (10 agents, 40 supervisor tabs) on the live feed during a
BENCH_FANOUT_RATE calls/s run of BENCH_FANOUT_DURATION s, then one client alone, same load:
latency p50/p99 over every client, the worst client's p99, the controller's CPU per 1,000 calls.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from statistics import median

import aiohttp
import asyncpg

from db.demo import read_demo_data
from tests.bench.reports_year import generate_in_sql
from tests.bench.surge import _wall_limit, run_phase
from tests.bench.surge_agents import ApiAgents, reset_members_by_ami
from tests.bench.surge_load import SurgeLoad
from tests.bench.surge_stack import SurgeStack
from tests.fixtures.asterisk import AmiProbe

log = logging.getLogger("edge")
GOALS = {"event_to_websocket_p99_ms": 100, "event_to_row_p99_ms": 250, "completed_ratio_vs_bare": 0.99,
         "knee_ratio_vs_bare": 0.95, "controller_rss_mib_800_calls": 150}
MODES = ("on", "niced", "rt", "bare")
CONTROLLER_MODES = MODES[:-1]
DEFAULT_CONTROLLER_MODES = ("on", "niced")


def rss_mib(pid: int | None) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, TypeError):
        pass
    return None


class PeakRss:
    """The highest VmRSS of a process, sampled every second."""

    def __init__(self, pid: int | None) -> None:
        self.pid, self.peak = pid, None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="rss-sampler")

    async def _run(self) -> None:
        while True:
            now = rss_mib(self.pid)
            if now is not None:
                self.peak = max(self.peak or 0.0, now)
            await asyncio.sleep(1)

    async def stop(self) -> float | None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        return self.peak


def realtime_threads(pid: int | None, on: bool) -> None:
    """Every current thread of `pid` under SCHED_RR priority 1 (on) or back to SCHED_OTHER; new threads
    inherit it from their creator."""
    if pid is None:
        return
    policy, param = (os.SCHED_RR, os.sched_param(1)) if on else (os.SCHED_OTHER, os.sched_param(0))
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setscheduler(int(tid), policy, param)
        except OSError:          # a thread that ended meanwhile
            pass


async def _remove_members(stack: SurgeStack, people) -> None:
    """Before the controller comes back after a bare block: the agents out of every queue, so its
    resync finds them logged out and the API logs them in afresh."""
    o = stack.options
    probe = await AmiProbe.connect(o.ami_port, o.ami_user, o.ami_secret)
    try:
        for person in people:
            for queue, _ in person.branches:
                await probe.action({"Action": "QueueRemove", "Queue": queue, "Interface": f"PJSIP/{person.ext}"})
    finally:
        await probe.close()


async def _step(stack: SurgeStack, load: SurgeLoad, api: ApiAgents | None, mode: str, rate: float,
                window: float, hold: float) -> dict:
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    memory = PeakRss(stack.controller.pid if stack.controller else None)
    memory.start()
    phase = await run_phase(stack, load, api, rate, max(1, int(rate * window)), hold)
    peak = await memory.stop()
    calls = phase["calls"]
    step = {"mode": mode, "rate_cps": rate, "loadavg_at_start": load_at_start, **calls,
            "ok": calls["failed"] == 0 and (phase["achieved_rate_cps"] or 0) >= 0.85 * rate
            and phase.get("records_lost", 0) == 0,
            "peak_concurrent_calls": phase["peak_concurrent_calls"], "machine_busy_pct": phase["machine_busy_pct"],
            "cpu_seconds": phase["cpu_seconds"], "controller_rss_peak_mib": peak}
    for key in ("event_to_websocket_ms", "event_to_row_ms"):
        if phase.get(key):
            step[key] = phase[key]
    log.info("step %s", {k: step[k] for k in ("mode", "rate_cps", "attempted", "completed", "failed")})
    await asyncio.sleep(3)      # the last callers' hang-ups land
    return step


async def _year_report(stack: SurgeStack) -> dict:
    """The year's summary through the console's API as a supervisor; the controller's memory after."""
    base = f"http://127.0.0.1:{stack.http_port}/api/v1"
    before = rss_mib(stack.controller.pid if stack.controller else None)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        async with session.post(f"{base}/auth/login", json={"username": "2001", "password": "demo2001"}) as r:
            token = (await r.json())["token"]
        started = time.monotonic()
        async with session.get(f"{base}/reports/summary", params={"from": "2021-01-01", "to": "2021-12-31"},
                               headers={"Authorization": f"Bearer {token}"}) as r:
            status, body = r.status, await r.json()
        seconds = time.monotonic() - started
    return {"status": status, "seconds": round(seconds, 3),
            "received": (body.get("totals") or {}).get("received") if status == 200 else None,
            "controller_rss_before_mib": before,
            "controller_rss_after_mib": rss_mib(stack.controller.pid if stack.controller else None)}


async def _controller_block(stack, load, people, rates, window, hold, nice, modes) -> tuple[list[dict], dict]:
    await stack.start_controller()
    api = ApiAgents(stack.http_port, people)
    steps: list[dict] = []
    try:
        await api.login_all()
        api.start_wrapups()
        for rate in rates:
            for mode in modes:
                stack.asterisk.apply_priority(nice if mode == "niced" else 0)
                realtime_threads(stack.controller.pid, mode == "rt")
                steps.append(await _step(stack, load, api, mode, rate, window, hold))
        stack.asterisk.apply_priority(0)
        realtime_threads(stack.controller.pid, False)
        report = await _year_report(stack)
    finally:
        stack.asterisk.apply_priority(0)
        await api.close()
        await stack.stop_controller()
    return steps, report


async def bench_edge(rates: tuple[float, ...] = (50, 75, 100), window: float = 20, hold: float = 20,
                     repeats: int = 2, nice: int = 10, year_calls: int = 100_000, agents: int = 16,
                     modes: tuple[str, ...] = DEFAULT_CONTROLLER_MODES) -> dict:
    unknown = set(modes) - set(CONTROLLER_MODES)
    if unknown:
        raise ValueError(f"BENCH_EDGE_MODES: unknown mode(s) {sorted(unknown)}; choose from {CONTROLLER_MODES}")
    people = [p for p in read_demo_data() if p.role == "agent"][:agents]
    result: dict = {"params": {"rates_cps": list(rates), "window_s": window, "hold_s": hold, "repeats": repeats,
                               "asterisk_nice": nice, "year_calls": year_calls, "agents": len(people),
                               "controller_modes": list(modes),
                               "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
                    "goals": GOALS, "steps": [], "year_reports": []}
    stack = SurgeStack(queue_max_wait_s=300, wrapup_limit_s=120)
    load: SurgeLoad | None = None
    try:
        await stack.start()
        result["year_generated"] = await _generate_year(stack.database_url, year_calls)
        load = SurgeLoad(stack.options.sip_port)
        calls = sum(int(r * window) for r in rates) * (len(modes) + 1) * repeats + 100
        steps_s = len(rates) * (len(modes) + 1) * repeats * (window + hold + 90)
        await load.start_agents(people, talk_s=5, max_calls=calls, timeout_s=steps_s + 600)
        for n in range(repeats):
            steps, report = await _controller_block(stack, load, people, rates, window, hold, nice, modes)
            result["steps"] += [{**s, "repeat": n} for s in steps]
            result["year_reports"].append(report)
            o = stack.options
            await reset_members_by_ami(o.ami_port, o.ami_user, o.ami_secret, people)
            for rate in rates:
                result["steps"].append({**await _step(stack, load, None, "bare", rate, window, hold), "repeat": n})
            await _remove_members(stack, people)
    finally:
        if load is not None:
            await load.close()
        await stack.stop()
    result["summary"] = summarize_edge(result["steps"], rates)
    return result


async def _generate_year(dsn: str, calls: int) -> dict:
    if calls <= 0:
        return {"calls": 0}
    from tests.bench.reports_year import YEAR
    con = await asyncpg.connect(dsn)
    try:
        return {"calls": calls, **await generate_in_sql(con, calls, *YEAR)}
    finally:
        await con.close()


def summarize_edge(steps: list[dict], rates: tuple[float, ...]) -> dict:
    """Per mode: the knee of each repeat (highest rate of an unbroken run of ok steps from the
    lowest), completed-calls ratios against bare at each rate, latency p99s at the knee."""
    by = {(s["mode"], s["rate_cps"], s["repeat"]): s for s in steps}
    repeats = sorted({s["repeat"] for s in steps})
    shown = [m for m in MODES if m in (*DEFAULT_CONTROLLER_MODES, "bare") or any(s["mode"] == m for s in steps)]
    out: dict = {}
    for mode in shown:
        knees = [_knee([by.get((mode, r, n)) for r in rates]) for n in repeats]
        out[mode] = {"knee_per_repeat": knees}
    for mode in (m for m in shown if m != "bare"):
        ratios, ws99, row99, rss = {}, {}, {}, {}
        for rate in rates:
            pairs = [(by.get((mode, rate, n)), by.get(("bare", rate, n))) for n in repeats]
            ratios[rate] = [round(a["completed"] / b["completed"], 3) for a, b in pairs
                            if a and b and b["completed"]]
            ws99[rate] = [(a.get("event_to_websocket_ms") or {}).get("p99") for a, _ in pairs if a]
            row99[rate] = [(a.get("event_to_row_ms") or {}).get("p99") for a, _ in pairs if a]
            rss[rate] = [a.get("controller_rss_peak_mib") for a, _ in pairs if a]
        knee_ratio = [round(k / b, 3) if k and b else None
                      for k, b in zip(out[mode]["knee_per_repeat"], out["bare"]["knee_per_repeat"])]
        out[mode].update(completed_ratio_vs_bare=ratios, websocket_p99_ms=ws99, row_p99_ms=row99,
                         controller_rss_peak_mib=rss, knee_ratio_vs_bare=knee_ratio)
    return out


def _knee(row: list[dict | None]) -> float | None:
    best = None
    for step in row:
        if step is None or not step["ok"]:
            break
        best = step["rate_cps"]
    return best


async def bench_fanout(rate: float = 20, duration: float = 45, clients: int = 50, hold: float = 20) -> dict:
    people = [p for p in read_demo_data() if p.role == "agent"][:16]
    stack = SurgeStack(queue_max_wait_s=300, wrapup_limit_s=120)
    load: SurgeLoad | None = None
    api: ApiAgents | None = None
    result: dict = {"params": {"rate_cps": rate, "duration_s": duration, "clients": clients}, "runs": []}
    try:
        await stack.start()
        load = SurgeLoad(stack.options.sip_port)
        max_calls = int(rate * duration)
        await load.start_agents(people, talk_s=5, max_calls=max_calls * 3,
                                timeout_s=_wall_limit(max_calls, rate, hold) * 3)
        await stack.start_controller()
        api = ApiAgents(stack.http_port, people)
        await api.login_all()
        api.start_wrapups()
        for n in (clients, 1):
            load_at_start = [round(x, 2) for x in os.getloadavg()]
            phase = await run_phase(stack, load, api, rate, max_calls, hold, ws_clients=n)
            result["runs"].append({"clients": n, "loadavg_at_start": load_at_start, **phase["calls"],
                                   "websocket_ms": phase.get("event_to_websocket_ms"),
                                   "cpu_seconds_per_1000_calls": phase["cpu_seconds_per_1000_calls"],
                                   "event_to_row_ms": phase.get("event_to_row_ms")})
            await asyncio.sleep(3)
    finally:
        if api is not None:
            await api.close()
        if load is not None:
            await load.close()
        await stack.stop()
    return result


def spread(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "–"
    return f"{median(present):g} ({min(present):g}–{max(present):g})" if len(present) > 1 else f"{present[0]:g}"
