"""Issue 12, "the caller's minute", over real SIP: sipp callers with RFC 2833 DTMF, a sipp 115
stand-in, sipp agents' phones; the generated prompts installed (their real lengths matter here);
the controller, its console API and a database of this module's own (so the report's figures are
exactly this module's calls, counted by hand below).

Timing figures come from sipp's own message timestamps (-trace_msg): the caller's key is its ACK
+ the scenario's 2 s pause + the digit recording's end-of-event packet (tests/sipp.py: key_at)."""
from __future__ import annotations

import asyncio
import csv
import io
import secrets
import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg
import pytest
import pytest_asyncio

from db.agents import list_sip_credentials
from db.demo import load_demo_data
from db.reports import HOTLINE_TZ
from db.migrate import migrate
from ivr.app import Controller
from runtime.asterisk import AgentEndpoint
from ivr.system import REPO, db_params
from prompts.build import ensure_prompts_async
from tests.fixtures.controller import controller_settings, hangup_callers
from tests.sipp import SippRunner
from tests.waiting import until

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

SURVEY_AGENT = "1014"         # cdc (with violations, emergency): only this module's calls reach it here


class Stack:
    def __init__(self, pbx, controller: Controller, pool: asyncpg.Pool, token: str) -> None:
        self.pbx, self.controller, self.pool, self.token = pbx, controller, pool, token
        self.events: list[dict[str, str]] = []
        controller.ami.subscribe(lambda e: self.events.append(dict(e)))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.controller.settings.http_port}"

    async def get(self, path: str) -> dict:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {self.token}"}) as http:
            async with http.get(self.base + path) as response:
                assert response.status == 200, await response.text()
                return await response.json()

    async def get_text(self, path: str) -> str:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {self.token}"}) as http:
            async with http.get(self.base + path) as response:
                assert response.status == 200, await response.text()
                return await response.text()

    async def call_of(self, number: str, timeout: float = 40) -> dict:
        """The complete record of the latest call from `number`, through GET /api/v1/calls/{linkedid}."""
        async def complete() -> str | None:
            return await self.pool.fetchval("SELECT linkedid FROM calls WHERE caller_number = $1 AND complete"
                                            " ORDER BY started_at DESC LIMIT 1", number)
        deadline = time.monotonic() + timeout
        while (linkedid := await complete()) is None:
            assert time.monotonic() < deadline, f"no complete call from {number} within {timeout} s"
            await asyncio.sleep(0.2)
        # No wait after this: the complete record is the tracker's last snapshot of the call, and the
        # writer puts it, its steps and its survey row in one transaction (db/calls.py upsert_calls).
        return await self.get(f"/api/v1/calls/{linkedid}")

    async def event(self, predicate, timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if predicate(event):
                    return event
            assert time.monotonic() < deadline, "event not seen"
            await asyncio.sleep(0.05)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(pg_cluster, asterisk_factory, tmp_path_factory):
    name = f"ivr1022_minute_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    url = pg_cluster.dsn(name)
    pool = await asyncpg.create_pool(url, min_size=1, max_size=4)
    async with pool.acquire() as con:
        await migrate(con)
    await load_demo_data(pool)
    agents = tuple(AgentEndpoint(a["ext"], a["sip_password"]) for a in await list_sip_credentials(pool))
    prompts = tmp_path_factory.mktemp("prompts")
    await ensure_prompts_async(prompts, REPO / "recordings" / "overrides")
    pbx = await asterisk_factory(db=db_params(url), agents=agents, sounds_dir=prompts,
                                 emergency_dial_timeout_s=6, queue_max_wait_s=60)
    controller = Controller(controller_settings(pbx, url, tmp_path_factory.mktemp("minute")), url,
                            recordings_dir=pbx.recordings_dir)
    await controller.start()
    try:
        await controller.ami.wait_connected(10)
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{controller.settings.http_port}/api/v1/auth/login",
                                 json={"username": "2001", "password": "demo2001"}) as response:
                token = (await response.json())["token"]
        yield Stack(pbx, controller, pool, token)
    finally:
        await controller.stop()
        await pool.close()


def _caller_channel(number: str):
    return lambda e: e.get("CallerIDNum") == number and e.get("Channel", "").startswith("PJSIP/trunk-")


async def test_key_1_rings_115_at_once_while_the_caller_hears_the_message(stack: Stack) -> None:
    number = "0988012001"
    port = int(stack.pbx.options.emergency_uri.rsplit(":", 1)[1])
    async with SippRunner(stack.pbx.options.sip_port) as sipp:
        center = await sipp.start_uas_115(port, hold_s=3, ring_s=3)
        caller = await sipp.sipp_call("1", hold_s=20, caller=number)
        assert await center.wait(30) == 0, center.errors()
        assert await caller.wait(30) == 0, caller.errors()
        key_at = caller.key_at("1", 0)
        invite_at = center.first("INVITE", sent=False).at
        answer_at = center.first("SIP/2.0 200", sent=True).at
    print(f"key 1 -> INVITE at the 115 stand-in: {(invite_at - key_at) * 1000:.0f} ms")
    # Behaviour, not a speed goal: nothing is played before the dial. The shortest of our prompts lasts
    # 1.46 s (en/1022/no-input), so a dial 1.4 s or later after the key means one was put in front of it.
    assert 0 <= invite_at - key_at < 1.4
    # The caller hears the message while 115 rings: music on hold of the class whose announcement it
    # is starts on the caller's channel after the dial started, and stops when 115 answers.
    moh = await stack.event(lambda e: e.get("Event") == "MusicOnHoldStart" and _caller_channel(number)(e), 5)
    assert moh["Class"] == "emergency-connecting"
    moh_stop = await stack.event(lambda e: e.get("Event") == "MusicOnHoldStop" and _caller_channel(number)(e), 5)
    assert invite_at - 0.5 < float(moh["Timestamp"]) < answer_at
    assert answer_at - 0.5 < float(moh_stop["Timestamp"]) < answer_at + 1.0

    call = await stack.call_of(number)
    assert (call["outcome"], call["branch"], call["emergency_dial_status"]) == ("transferred_115", 1, "ANSWER")
    assert abs(call["emergency_dial_s"] - (invite_at - key_at)) < 0.5, (call, invite_at - key_at)
    assert abs(call["emergency_answer_s"] - (answer_at - key_at)) < 0.5, (call, answer_at - key_at)
    assert call["emergency_answer_s"] > 3.0 - 0.5  # 115 rang 3 s (the step times are Asterisk's, ±0.5 s as above)
    assert (call["survey"], call["survey_asked"]) == (None, False)      # 115 calls are never surveyed


async def test_115_unreachable_puts_the_caller_first_in_line_flagged(stack: Stack) -> None:
    number = "0988012002"
    async with SippRunner(stack.pbx.options.sip_port) as sipp:       # nothing listens on 115's port
        caller = await sipp.sipp_call("1", hold_s=25, caller=number)
        join = await stack.event(lambda e: e.get("Event") == "QueueCallerJoin" and e.get("CallerIDNum") == number,
                                 30)
        assert (join["Queue"], join["Position"]) == ("emergency", "1")
        await hangup_callers(stack.controller, number)
        await caller.wait(30)
    call = await stack.call_of(number)
    assert call["emergency"] is True and call["queue"] == "emergency"
    assert call["emergency_dial_status"] in ("NOANSWER", "CHANUNAVAIL", "CONGESTION")
    assert call["emergency_answer_s"] is None and 0 <= call["emergency_dial_s"] < 1.4   # nothing played first
    steps = [(s["kind"], s["value"]) for s in call["ivr_path"]]
    assert steps[:4] == [("language", "vi"), ("key", "1"), ("branch", "1"), ("dial", "115")]
    assert ("fallback", call["emergency_dial_status"]) in steps


async def test_silent_caller_reaches_the_default_queue_within_45_s(stack: Stack) -> None:
    number = "0988012003"
    async with SippRunner(stack.pbx.options.sip_port) as sipp:
        caller = await sipp.sipp_call("", hold_s=60, caller=number)
        join = await stack.event(lambda e: e.get("Event") == "QueueCallerJoin" and e.get("CallerIDNum") == number,
                                 55)
        answered_at = caller.first("SIP/2.0 200", sent=False).at
        await hangup_callers(stack.controller, number)
        await caller.wait(30)
    waited = float(join["Timestamp"]) - answered_at
    print(f"silent caller: default queue {waited:.1f} s after answer")
    assert join["Queue"] == "cdc" and 0 < waited < 45
    call = await stack.call_of(number)
    steps = [(s["kind"], s["value"]) for s in call["ivr_path"]]
    assert steps == [("language", "vi"), ("timeout", "1"), ("timeout", "2"), ("branch", "2")]


async def _agent_call(stack: Stack, sipp: SippRunner, number: str, digits: str, *, talk_s: float,
                      hold_s: float) -> dict:
    password = await stack.pool.fetchval("SELECT sip_password FROM agents WHERE ext = $1", SURVEY_AGENT)
    phone = await sipp.start_agent(SURVEY_AGENT, password, talk_s=talk_s, timeout=60)
    service = stack.controller.agents
    await service.login(SURVEY_AGENT, f"PJSIP/{SURVEY_AGENT}")
    try:
        caller = await sipp.sipp_call(digits, hold_s=hold_s, caller=number)
        assert await caller.wait(hold_s + 20) == 0, caller.errors()
        assert await phone.wait(20) == 0, phone.errors()
        return await stack.call_of(number)
    finally:
        await until(lambda: service.state(SURVEY_AGENT).state not in ("on_call", "ringing"), 15, "off the call")
        if service.state(SURVEY_AGENT).state == "wrap_up":
            await service.wrapup_submitted(SURVEY_AGENT, service.state(SURVEY_AGENT).linkedid)
        await service.logout(SURVEY_AGENT)
        await sipp.unregister(SURVEY_AGENT)     # the next call's phone registers from another port


async def test_survey_after_the_agent_hangs_up_and_not_after_the_caller(stack: Stack) -> None:
    async with SippRunner(stack.pbx.options.sip_port) as sipp:
        # Key 2 during the welcome; the agent talks 3 s and hangs up; key 4 during the question.
        scored = await _agent_call(stack, sipp, "0988012004", "2" + "," * 9 + "4", talk_s=3, hold_s=30)
        silent = await _agent_call(stack, sipp, "0988012005", "2", talk_s=3, hold_s=30)
        caller_first = await _agent_call(stack, sipp, "0988012006", "2", talk_s=25, hold_s=9)
    assert (scored["agent"], scored["hangup_by"], scored["survey"], scored["survey_asked"]) == (SURVEY_AGENT, "agent", 4, True)
    assert ("survey", "4") in [(s["kind"], s["value"]) for s in scored["ivr_path"]]
    assert (silent["hangup_by"], silent["survey"], silent["survey_asked"]) == ("agent", None, True)
    assert (caller_first["hangup_by"], caller_first["survey"], caller_first["survey_asked"]) == ("caller", None, False)
    rows = {r["linkedid"]: r for r in await stack.pool.fetch("SELECT * FROM call_surveys")}
    assert set(rows) == {scored["linkedid"], silent["linkedid"]}           # no row for the caller-first call
    assert (rows[scored["linkedid"]]["agent"], rows[scored["linkedid"]]["branch"]) == (SURVEY_AGENT, 2)


async def test_reports_agree_with_a_hand_count_of_this_modules_calls(stack: Stack) -> None:
    """Runs after the calls above (module order): 3 emergency dials, 2 surveys (one scored 4)."""
    today = datetime.now(ZoneInfo(HOTLINE_TZ)).date().isoformat()
    report = await stack.get(f"/api/v1/reports/summary?from={today}&to={today}")
    survey = report["survey"]
    assert survey["totals"] == {"asked": 2, "answered": 1, "average": 4.0, "answer_rate": 0.5}
    assert survey["by_agent"] == [{"agent": SURVEY_AGENT, "asked": 2, "answered": 1, "average": 4.0,
                                   "answer_rate": 0.5}]
    assert survey["by_branch"] == [{"branch": 2, "asked": 2, "answered": 1, "average": 4.0, "answer_rate": 0.5}]
    rows = await stack.pool.fetch("SELECT emergency_dial_s, emergency_answer_s FROM calls"
                                  " WHERE emergency_dial_s IS NOT NULL")
    dials = sorted(float(r["emergency_dial_s"]) for r in rows)
    answers = [float(r["emergency_answer_s"]) for r in rows if r["emergency_answer_s"] is not None]
    totals = report["time_to_115"]["totals"]
    assert (totals["dials"], totals["answered"], totals["fell_back"]) == (2, 1, 1)
    assert totals["dial_p50_s"] == pytest.approx(statistics.median(dials), abs=0.001)
    assert totals["dial_p90_s"] == pytest.approx(dials[0] + 0.9 * (dials[1] - dials[0]), abs=0.001)
    assert totals["answer_p50_s"] == pytest.approx(answers[0], abs=0.001)
    assert totals["answered_10s_share"] == (0.5 if answers[0] <= 10 else 0.0)
    csv_text = await stack.get_text(f"/api/v1/reports/summary?from={today}&to={today}&format=csv")
    lines = list(csv.DictReader(io.StringIO(csv_text)))
    branch1 = next(line for line in lines if line["branch"] == "1")
    assert int(branch1["emergency_dials"]) == 2 and float(branch1["emergency_dial_p50_s"]) == totals["dial_p50_s"]
    branch2 = next(line for line in lines if line["branch"] == "2")
    assert (branch2["survey_asked"], branch2["survey_average"], branch2["survey_answer_rate"]) == ("2", "4.0", "0.5")
    agents_csv = await stack.get_text(f"/api/v1/reports/summary?from={today}&to={today}&format=csv"
                                      "&table=survey_agents")
    assert agents_csv.splitlines()[1] == f"{SURVEY_AGENT},2,1,4.0,0.5"
