"""Issue 4: nothing is lost when a part fails.

Each test has its own PostgreSQL database and Asterisk instance, so stopping or killing a
part does not disturb the other tests' controller.
"""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import asyncpg
import pytest

from db.agents import list_sip_credentials
from db.demo import load_demo_data
from db.migrate import migrate
from ivr.ami.client import AmiClient
from ivr.app import Controller
from ivr.system import db_params
from runtime.asterisk import AgentEndpoint
from tests.fixtures.controller import controller_settings
from tests.ports import free_port
from tests.waiting import until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]
REPO = Path(__file__).resolve().parents[2]


async def fresh_database(cluster) -> str:
    name = f"ivr1022_lost_{secrets.token_hex(4)}"
    await cluster.create_database(name)
    url = cluster.dsn(name)
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        await migrate(pool)
        await load_demo_data(pool)
    finally:
        await pool.close()
    return url


async def telephony_for(asterisk_factory, url: str):
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        agents = tuple(AgentEndpoint(a["ext"], a["sip_password"]) for a in await list_sip_credentials(pool))
    finally:
        await pool.close()
    return await asterisk_factory(db=db_params(url), agents=agents, queue_max_wait_s=120)


async def ami_for(pbx) -> AmiClient:
    o = pbx.options
    ami = AmiClient("127.0.0.1", o.ami_port, o.ami_user, o.ami_secret)
    await ami.start()
    await ami.wait_connected(10)
    return ami


async def originate_callers(ami: AmiClient, numbers: list[str], digit: str = "2") -> None:
    for number in numbers:
        await ami.send("Originate", Channel=f"Local/{digit}@test-press/n", Context="from-trunk", Exten="1022",
                       Priority="1", CallerID=number, Async="true")


async def queue_state(ami: AmiClient, queue: str) -> tuple[int, int]:
    """(callers waiting, members on a call)"""
    events = await ami.collect("QueueStatus", Queue=queue)
    waiting = sum(1 for e in events if e.event == "QueueEntry")
    talking = sum(1 for e in events if e.event == "QueueMember" and e.get("InCall") == "1")
    return waiting, talking




async def complete_records(url: str, numbers: list[str]) -> list[asyncpg.Record]:
    con = await asyncpg.connect(url)
    try:
        return await con.fetch("SELECT * FROM calls WHERE caller_number = ANY($1::text[]) AND outcome IS NOT NULL",
                               numbers)
    finally:
        await con.close()


def start_controller_process(pbx, url: str, state: Path, http_port: int) -> subprocess.Popen:
    o = pbx.options
    env = {**os.environ, "DATABASE_URL": url, "IVR_AMI_PORT": str(o.ami_port), "IVR_AGI_PORT": str(o.agi_port),
           "IVR_HTTP_PORT": str(http_port), "IVR_AMI_USER": o.ami_user, "IVR_AMI_SECRET": o.ami_secret,
           "IVR_STATE_DIR": str(state), "IVR_SHORT_ABANDON": "2"}
    log = open(state / "controller.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "ivr", "controller"], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


async def controller_healthy(http_port: int) -> bool:
    def probe() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/healthz", timeout=1) as r:
                return json.load(r)["status"] == "up"
        except (OSError, ValueError, KeyError):
            return False
    return await asyncio.to_thread(probe)


async def test_controller_killed_while_5_wait_and_2_talk_loses_no_record(
        asterisk_factory, make_pg_cluster, tmp_path):
    url = await fresh_database(await make_pg_cluster())
    pbx = await telephony_for(asterisk_factory, url)
    ami = await ami_for(pbx)
    numbers = [f"0933{i:06d}" for i in range(7)]
    http_port = free_port()
    controller = start_controller_process(pbx, url, tmp_path, http_port)
    try:
        await until(lambda: controller_healthy(http_port), 30, "the controller to be healthy")
        await ami.send("Setvar", Variable="TEST_TALK_S", Value="6")
        for ext in ("1001", "1002"):
            await ami.send("QueueAdd", Queue="cdc", Interface=f"Local/{ext}@test-agent/n", MemberName=ext)
        await originate_callers(ami, numbers)
        await until(lambda: _is(queue_state(ami, "cdc"), (5, 2)), 20, "5 waiting and 2 talking")

        controller.send_signal(signal.SIGKILL)
        controller.wait(timeout=10)
        # calls go on without the controller: the first two end, two more are answered
        await until(lambda: _is(queue_state(ami, "cdc"), (3, 2)), 30, "two more answered while it is down")
        controller = start_controller_process(pbx, url, tmp_path, http_port)
        await until(lambda: controller_healthy(http_port), 30, "the restarted controller")

        records = await until(lambda: _all(complete_records(url, numbers), 7), 60, "7 complete records")
    finally:
        controller.send_signal(signal.SIGTERM)
        controller.wait(timeout=15)
        await ami.stop()
    assert {r["caller_number"] for r in records} == set(numbers)
    for record in records:
        assert record["outcome"] == "answered", dict(record)
        assert (record["branch"], record["queue"]) == (2, "cdc")
        assert record["agent"] in ("1001", "1002")
        assert 4 <= float(record["talk_s"]) <= 8, dict(record)
        assert 0 <= float(record["wait_s"]) <= 40, dict(record)
        assert record["started_at"] < record["answered_at"] < record["ended_at"]


async def test_postgresql_stopped_for_30_s_during_calls_loses_no_record(
        asterisk_factory, make_pg_cluster, tmp_path):
    """Call records, agents' state changes and listening outcomes are kept in memory while the
    database is away and written once it is back (docs/operations.md, docs/acd.md)."""
    cluster = await make_pg_cluster()
    url = await fresh_database(cluster)
    pbx = await telephony_for(asterisk_factory, url)
    controller = Controller(controller_settings(pbx, url, tmp_path, wrapup_limit_s=2), url)
    await controller.start()
    numbers = [f"0944{i:06d}" for i in range(3)]
    try:
        ami = controller.ami
        await controller.ami.wait_connected(10)
        await ami.send("Setvar", Variable="TEST_TALK_S", Value="2")
        await controller.agents.login(AGENT, interface=f"Local/{AGENT}@test-agent/n")
        await controller.agent_states.drained(10)
        states_before = await agent_state_rows(url)
        await cluster.stop()
        stopped_at = asyncio.get_running_loop().time()
        await until(lambda: _false(controller.health.components()["database"]), 10, "health to see the database down")
        await originate_callers(ami, numbers, digit="3")
        await listen_channel(ami, LISTEN_ID)
        await until(lambda: _at_least(controller.writer.buffered, 3), 40, "3 calls buffered")
        await until(lambda: _at_least(controller.listen_outcomes.buffered, 2), 20, "the listen's outcomes buffered")
        await until(lambda: _at_least(controller.agent_states.buffered, 3), 40, "agent state changes buffered")
        # the scenario: the database stays away for 30 s while calls go on
        await asyncio.sleep(max(0.0, stopped_at + 30 - asyncio.get_running_loop().time()))
        kept_states = controller.agent_states.buffered
        assert controller.writer.buffered >= 3 and controller.writer.failures > 0
        assert controller.agent_states.failures > 0 and controller.listen_outcomes.failures > 0
        await cluster.start()
        records = await until(lambda: _all(complete_records(url, numbers), 3), 30, "3 complete records")
        await until(lambda: _at_least(agent_state_rows(url), states_before + kept_states), 30,
                    "the buffered agent state changes written")
        outcomes = await until(lambda: listen_results(url, LISTEN_ID), 30, "the listen's outcomes written")
        assert controller.health.components()["database"] or await _eventually_up(controller)
    finally:
        await controller.stop()
    assert sorted(r["outcome"] for r in records) == ["answered"] * 3
    assert {r["agent"] for r in records} == {AGENT}
    assert outcomes == ["answered", "ended"]
    assert await agent_states_of_calls(url, AGENT, [r["linkedid"] for r in records]) >= {"on_call"}


async def test_stopping_the_controller_writes_every_buffered_record(asterisk_factory, make_pg_cluster, tmp_path):
    """SIGTERM stops the controller only after every buffered record is written (docs/operations.md):
    the tables are locked, so the records wait in the writers when stop() begins."""
    url = await fresh_database(await make_pg_cluster())
    pbx = await telephony_for(asterisk_factory, url)
    controller = Controller(controller_settings(pbx, url, tmp_path, wrapup_limit_s=2), url)
    await controller.start()
    number = "0955000001"
    lock = await asyncpg.connect(url)
    stopping = None
    try:
        ami = controller.ami
        await ami.wait_connected(10)
        await ami.send("Setvar", Variable="TEST_TALK_S", Value="1")
        await controller.agents.login(AGENT, interface=f"Local/{AGENT}@test-agent/n")
        await controller.agent_states.drained(10)
        states_before = await agent_state_rows(url)
        locked = lock.transaction()
        await locked.start()
        await lock.execute("LOCK TABLE calls, agent_states, live_listen_outcomes IN EXCLUSIVE MODE")
        await originate_callers(ami, [number], digit="3")
        await listen_channel(ami, LISTEN_ID)
        await until(lambda: _none(channels_of(ami, number)), 30, "the call to end")
        await until(lambda: _none(channels_with_id(ami, f"listen-2001-{AGENT}-{LISTEN_ID}")), 30, "the listen to end")
        writers = (controller.writer, controller.agent_states, controller.listen_outcomes)
        # The tables are locked, so nothing can be written; the agent's state changes come through
        # Stasis and may reach the controller after CoreShowChannels already shows the call gone.
        await until(lambda: all(w.buffered for w in writers), 30, "a record waiting in every writer")
        kept_states = controller.agent_states.buffered

        stopping = asyncio.create_task(controller.stop())
        # A window in which stop() must NOT return: its records cannot be written yet.
        done, _ = await asyncio.wait({stopping}, timeout=1.5)
        assert not done, "the controller stopped with records still buffered"
        await locked.commit()
        await asyncio.wait_for(stopping, 20)
    finally:
        if stopping is None:
            await controller.stop()
        await lock.close()
    assert [w.buffered for w in writers] == [0, 0, 0]
    [record] = await complete_records(url, [number])
    assert (record["outcome"], record["agent"]) == ("answered", AGENT)
    assert await agent_state_rows(url) >= states_before + kept_states
    assert await listen_results(url, LISTEN_ID) == ["answered", "ended"]


AGENT = "1007"            # a doctors' agent (branch 3) in db/demo_data.csv
LISTEN_ID = 424242


async def listen_channel(ami: AmiClient, listen_id: int) -> None:
    """A channel named as the console's listening channels are (ivr/acd/listen.py): answered, then hung up."""
    await ami.send("Originate", Channel="Local/9@test-agent/n", Application="Wait", Data="10",
                   ChannelId=f"listen-2001-{AGENT}-{listen_id}", Async="true")


async def channels_of(ami: AmiClient, number: str) -> list:
    return [c for c in await ami.collect("CoreShowChannels") if c.get("CallerIDNum") == number]


async def channels_with_id(ami: AmiClient, uniqueid: str) -> list:
    return [c for c in await ami.collect("CoreShowChannels") if c.get("Uniqueid") == uniqueid]


async def agent_state_rows(url: str) -> int:
    con = await asyncpg.connect(url)
    try:
        return await con.fetchval("SELECT count(*) FROM agent_states WHERE ext = $1", AGENT)
    finally:
        await con.close()


async def agent_states_of_calls(url: str, ext: str, linkedids: list[str]) -> set[str]:
    con = await asyncpg.connect(url)
    try:
        rows = await con.fetch("SELECT state FROM agent_states WHERE ext = $1 AND linkedid = ANY($2::text[])",
                               ext, linkedids)
        return {r["state"] for r in rows}
    finally:
        await con.close()


async def listen_results(url: str, listen_id: int) -> list[str]:
    con = await asyncpg.connect(url)
    try:
        rows = await con.fetch("SELECT result FROM live_listen_outcomes WHERE listen_id = $1 ORDER BY at",
                               listen_id)
        return [r["result"] for r in rows]
    finally:
        await con.close()


async def _none(rows) -> bool:
    return not await rows


async def _is(state, expected):
    return await state == expected


async def _all(rows, count):
    found = await rows
    return found if len(found) == count else None


async def _false(value):
    return not value


async def _at_least(value, count):
    if asyncio.iscoroutine(value):
        value = await value
    return value >= count


async def _eventually_up(controller) -> bool:
    for _ in range(20):
        if controller.health.components()["database"]:
            return True
        await asyncio.sleep(0.25)
    return False
