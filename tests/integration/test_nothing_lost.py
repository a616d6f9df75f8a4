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
        await asyncio.sleep(8)  # calls go on: the first two end, two more are answered
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
    cluster = await make_pg_cluster()
    url = await fresh_database(cluster)
    pbx = await telephony_for(asterisk_factory, url)
    controller = Controller(controller_settings(pbx, url, tmp_path), url)
    await controller.start()
    numbers = [f"0944{i:06d}" for i in range(3)]
    try:
        ami = controller.ami
        await controller.ami.wait_connected(10)
        await ami.send("Setvar", Variable="TEST_TALK_S", Value="2")
        await ami.send("QueueAdd", Queue="doctors", Interface="Local/1007@test-agent/n", MemberName="1007")
        await cluster.stop()
        stopped_at = asyncio.get_running_loop().time()
        await until(lambda: _false(controller.health.components()["database"]), 10, "health to see the database down")
        await originate_callers(ami, numbers, digit="3")
        await until(lambda: _at_least(controller.writer.buffered, 3), 40, "3 calls buffered")
        await asyncio.sleep(max(0.0, stopped_at + 30 - asyncio.get_running_loop().time()))
        assert controller.writer.buffered >= 3 and controller.writer.failures > 0
        await cluster.start()
        records = await until(lambda: _all(complete_records(url, numbers), 3), 30, "3 complete records")
        assert controller.health.components()["database"] or await _eventually_up(controller)
    finally:
        await controller.stop()
    assert sorted(r["outcome"] for r in records) == ["answered"] * 3
    assert {r["agent"] for r in records} == {"1007"}


async def _is(state, expected):
    return await state == expected


async def _all(rows, count):
    found = await rows
    return found if len(found) == count else None


async def _false(value):
    return not value


async def _at_least(value, count):
    return value >= count


async def _eventually_up(controller) -> bool:
    for _ in range(20):
        if controller.health.components()["database"]:
            return True
        await asyncio.sleep(0.25)
    return False
