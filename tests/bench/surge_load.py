"""The surge bench's traffic: sipp agents (registered with digest auth, answering, talking a set
time, hanging up) and sipp callers (a rate, a call count, one RFC 2833 branch digit each).

All sipp processes get -m, a wall-clock -timeout and their own process group; `SurgeLoad`
keeps every one and kills them by PID on close. Callers are one process per branch digit
(2, 3, 4) at a third of the rate each, because one sipp scenario plays one fixed pcap.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path

from db.demo import DemoPerson
from tests.sipp import (
    BYE_WAIT,
    DTMF_BLOCK,
    SCENARIOS,
    SIPP,
    _dtmf_actions,
    free_udp_port,
)

BENCH_SCENARIOS = Path(__file__).resolve().parent / "sipp"
DIGITS = ("2", "3", "4")
TRACE = ["-trace_msg"] if os.environ.get("SURGE_TRACE") else []


@dataclass
class SippRun:
    label: str
    process: asyncio.subprocess.Process
    workdir: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        if self.process.returncode is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stats(self) -> dict[str, int]:
        """Created / successful / failed calls from the last line of sipp's -trace_stat CSV, and
        arrival_s: the elapsed time of the first line that shows every call created (1 s steps)."""
        path = self.workdir / "stats.csv"
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        rows = [dict(zip(lines[0].split(";"), line.split(";"))) for line in lines[1:] if line.strip()]
        if not rows:
            return {"created": 0, "successful": 0, "failed": 0, "arrival_s": 0}
        last = rows[-1]
        created = int(last.get("TotalCallCreated") or 0)
        first_full = next(r for r in rows if int(r.get("TotalCallCreated") or 0) >= created)
        return {"created": created, "successful": int(last.get("SuccessfulCall(C)") or 0),
                "failed": int(last.get("FailedCall(C)") or 0),
                "arrival_s": _seconds(first_full.get("ElapsedTime(C)", "0:0:0"))}

    def errors(self, limit: int = 2000) -> str:
        """The tail of sipp's error log and its final message table (sent, retransmissions, timeouts)."""
        chunks = [f"--- {path.name} ---\n{path.read_text(errors='replace')[-limit:]}"
                  for path in sorted(self.workdir.glob("*_errors.log"))]
        screen = self.workdir / "stdout.log"
        if screen.exists():
            text = screen.read_text(errors="replace")
            start = text.rfind("Messages  Retrans")
            table = text[start:text.find("Test Terminated", start)] if start >= 0 else text[-limit:]
            table = table.rstrip("- \n")
            chunks.append(f"--- {self.label}: sipp's message table ---\n{table}")
        return "\n".join(chunks)


class SurgeLoad:
    def __init__(self, asterisk_sip_port: int) -> None:
        self.target = f"127.0.0.1:{asterisk_sip_port}"
        self.root = Path(tempfile.mkdtemp(prefix="ivr1022-surge-sipp-"))
        self.runs: list[SippRun] = []
        self.batches = 0        # caller batches started: part of the callers' numbers

    async def close(self) -> None:
        for run in self.runs:
            run.kill()
            await run.process.wait()
        if not os.environ.get("SURGE_KEEP"):
            shutil.rmtree(self.root, ignore_errors=True)

    async def _sipp(self, label: str, scenario: Path, args: list[str], timeout_s: float,
                    stat_period_s: int = 1) -> SippRun:
        workdir = self.root / f"{len(self.runs):02d}-{label}"
        workdir.mkdir()
        command = [SIPP, "-sf", str(scenario), "-i", "127.0.0.1", "-t", "u1", "-nostdin",
                   "-trace_err", *TRACE, "-trace_stat", "-stf", "stats.csv", "-fd", str(stat_period_s),
                   "-timeout", f"{int(timeout_s)}s", "-timeout_error", *args, self.target]
        with open(workdir / "stdout.log", "wb") as out:   # noqa: ASYNC230 (a log file)
            process = await asyncio.create_subprocess_exec(
                *command, cwd=workdir, stdin=asyncio.subprocess.DEVNULL, stdout=out,
                stderr=asyncio.subprocess.STDOUT, start_new_session=True)
        run = SippRun(label, process, workdir)
        self.runs.append(run)
        return run

    def _scenario(self, source: Path, name: str, *, digits: str | None = None, bye_wait_s: float) -> Path:
        text = source.read_text()
        if digits is not None:
            text = DTMF_BLOCK.sub(lambda _: _dtmf_actions(digits), text)
            # every caller a different number (no repeat-caller priority from one number)
            text = text.replace("[caller_num]", f"09{digits}{self.batches:03d}[call_number]")
        text = BYE_WAIT.sub(lambda m: f"{m[1]}{int(bye_wait_s * 1000)}{m[3]}", text)
        path = self.root / name
        path.write_text(text)
        return path

    async def start_agents(self, agents: list[DemoPerson], *, talk_s: float, max_calls: int,
                           timeout_s: float) -> SippRun:
        """Registers every agent (digest auth) with the same contact port, one short sipp run
        each, then ONE sipp answers the calls of all of them on that port."""
        port = free_udp_port()
        for agent in agents:
            register = await self._sipp(f"register-{agent.ext}", SCENARIOS / "agent_register.xml",
                                        ["-key", "agent", agent.ext, "-key", "expires", "600", "-au", agent.ext, "-ap", agent.sip_password,
                                         "-m", "1", "-p", str(port)], 10)
            code = await asyncio.wait_for(register.process.wait(), 20)
            if code != 0:
                raise RuntimeError(f"agent {agent.ext} did not register (sipp exit {code}):\n{register.errors()}")
        scenario = self._scenario(SCENARIOS / "agent.xml", "agent.xml", bye_wait_s=talk_s)
        return await self._sipp("agents", scenario,
                                ["-key", "agent", "bench", "-m", str(max_calls), "-l", str(len(agents) * 4),
                                 "-p", str(port), "-mp", str(free_udp_port(pair=True))], timeout_s)

    async def start_callers(self, *, rate: float, max_calls: int, hold_s: float,
                            timeout_s: float) -> list[SippRun]:
        """Callers at `rate` calls/s in all, `max_calls` in all, digits 2-4 in turn."""
        runs = []
        self.batches += 1
        shares = [max_calls // 3 + (1 if i < max_calls % 3 else 0) for i in range(3)]
        active = [(digit, share) for digit, share in zip(DIGITS, shares) if share]
        period_ms = int(1000 * len(active))     # each process: `rate` calls per len(active) s
        for digit, share in active:
            scenario = self._scenario(SCENARIOS / "caller_dtmf.xml", f"caller_{digit}.xml",
                                      digits=digit, bye_wait_s=hold_s)
            runs.append(await self._sipp(
                f"callers-{digit}", scenario,
                ["-s", "1022", "-key", "caller_name", "Bench",
                 "-r", f"{rate:g}", "-rp", str(period_ms), "-m", str(share), "-l", str(max_calls),
                 "-p", str(free_udp_port()), "-mp", str(free_udp_port(pair=True))], timeout_s))
        return runs


def caller_totals(runs: list[SippRun]) -> dict[str, int]:
    """Sums over the caller processes; arrival_s is the longest arrival window of them."""
    totals = {"created": 0, "successful": 0, "failed": 0, "arrival_s": 0}
    for run in runs:
        stats = run.stats()
        for key in ("created", "successful", "failed"):
            totals[key] += stats[key]
        totals["arrival_s"] = max(totals["arrival_s"], stats["arrival_s"])
    return totals


def _seconds(hms: str) -> int:
    """sipp's elapsed time "HH:MM:SS" (or "HH:MM:SS:mmm") in whole seconds."""
    parts = [int(p) for p in hms.split(":")[:3]]
    return parts[0] * 3600 + parts[1] * 60 + parts[2]
