"""Issue 13 over real SIP: keep-place callbacks with sipp callers (RFC 2833 DTMF), sipp agents and a
sipp UAS as the citizens' trunk (IVR_OUTBOUND_URI). Each test has its own PostgreSQL database and
Asterisk instance, so its controller is the only one acting on its placeholders."""
from __future__ import annotations


import os
import signal
import subprocess
import sys

import asyncpg
import pytest

from db.agents import list_sip_credentials
from db.demo import load_demo_data
from db.migrate import migrate
from db.surge import switch_surge
from ivr.ami.client import AmiClient, AmiError
from ivr.app import Controller
from ivr.followups.surge import SCOPES
from ivr.system import db_params
from runtime.asterisk import AgentEndpoint
from tests.fixtures.controller import controller_settings
from tests.integration.test_nothing_lost import REPO, controller_healthy
from tests.ports import free_port
from tests.sipp import SippRunner
from tests.waiting import until

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

AGENT = "1001"
# 2 at once (branch CDC), then 12 s in the queue, then * and 1 (keep my place, call me on this number).
PRESS_CALLBACK = "2" + "," * 12 + "*1"


async def callback_stack(asterisk_factory, make_pg_cluster, tmp_path, **settings):
    cluster = await make_pg_cluster()
    await cluster.create_database("cb")
    url = cluster.dsn("cb")
    pool = await asyncpg.create_pool(url, min_size=1, max_size=4)
    await migrate(pool)
    await load_demo_data(pool)
    agents = tuple(AgentEndpoint(a["ext"], a["sip_password"]) for a in await list_sip_credentials(pool))
    pbx = await asterisk_factory(db=db_params(url), agents=agents, queue_max_wait_s=300)
    values = dict(wrapup_limit_s=5, callback_retry_delay_s=3, callback_attempts=2, callback_ring_s=6)
    values.update(settings)
    controller = Controller(controller_settings(pbx, url, tmp_path, **values), url)
    await controller.start()
    await controller.ami.wait_connected(10)
    return pbx, pool, controller


class Events:
    """Every AMI event the controller receives, to check their order afterwards."""

    def __init__(self, controller: Controller) -> None:
        self.items: list[dict[str, str]] = []
        controller.ami.subscribe(lambda e: self.items.append(dict(e)))

    def of(self, name: str, **fields: str) -> list[dict[str, str]]:
        return [e for e in self.items if e.get("Event") == name
                and all(e.get(k) == v for k, v in fields.items())]

    def joined(self, number: str) -> bool:
        return bool(self.of("QueueCallerJoin", CallerIDNum=number, Queue="cdc"))


def trunk_port(pbx) -> int:
    return int(pbx.options.outbound_uri.rsplit(":", 1)[1])


def invites(run) -> list[tuple[float, str]]:
    return [(m.at, m.first_line) for m in run.messages() if not m.sent and m.first_line.startswith("INVITE ")]


async def queue_entries(controller: Controller, queue: str = "cdc") -> list[dict[str, str]]:
    events = await controller.ami.collect("QueueStatus", Queue=queue)
    return sorted((e for e in events if e.get("Event") == "QueueEntry"), key=lambda e: int(e["Position"]))


async def request_rows(pool, number: str) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT * FROM callback_requests WHERE number = $1 ORDER BY id", number)


async def sip_password(pool, ext: str) -> str:
    return await pool.fetchval("SELECT sip_password FROM agents WHERE ext = $1", ext)


async def test_fairness_the_callback_keeps_the_place_of_the_first_caller(asterisk_factory, make_pg_cluster,
                                                                         tmp_path):
    pbx, pool, controller = await callback_stack(asterisk_factory, make_pg_cluster, tmp_path)
    events = Events(controller)
    a, b, c = "0911000001", "0911000002", "0911000003"
    try:
        async with SippRunner(pbx.options.sip_port) as sipp:
            trunk = await sipp.start_citizen_trunk(trunk_port(pbx), hold_s=3, calls=1, timeout=150)
            caller_a = await sipp.sipp_call(PRESS_CALLBACK, hold_s=60, caller=a)
            await until(lambda: events.joined(a), 20, "A in the queue")
            caller_b = await sipp.sipp_call("2", hold_s=120, caller=b)
            await until(lambda: events.joined(b), 20, "B in the queue")
            caller_c = await sipp.sipp_call("2", hold_s=120, caller=c)
            await until(lambda: events.joined(c), 20, "C in the queue")
            # A presses *1, hears the confirmation, and Asterisk hangs up: a clean call for sipp.
            assert await caller_a.wait(60) == 0, caller_a.errors()
            rows = await request_rows(pool, a)
            assert [(r["state"], r["branch"], r["queue"]) for r in rows] == [("waiting", 2, "cdc")]
            entries = await until(lambda: _three(queue_entries(controller)), 20, "the placeholder in line")
            assert entries[0]["Uniqueid"].startswith(f"cb-{rows[0]['id']}-"), entries
            assert [e["CallerIDNum"] for e in entries] == [a, b, c]
            # The agent becomes ready: A's number is dialled first and bridged, then B, then C.
            phone = await sipp.start_agent(AGENT, await sip_password(pool, AGENT), talk_s=3, calls=3, timeout=120)
            await controller.agents.login(AGENT)
            await until(lambda: len(events.of("AgentConnect", MemberName=AGENT)) >= 3, 90, "three calls answered")
            served = [e["CallerIDNum"] for e in events.of("AgentConnect", MemberName=AGENT)]
            assert served[:3] == [a, b, c], served
            sent = invites(trunk)
            assert len(sent) == 1 and sent[0][1].startswith(f"INVITE sip:{a}@127.0.0.1:{trunk_port(pbx)}"), sent
            row = await until(lambda: _state(pool, a, "connected"), 30, "A's callback connected")
            assert row["attempts"] == 1 and row["reached_at"] is not None
            assert row["callback_linkedid"].startswith("cb-") and row["original_linkedid"]
            assert row["agent_ext"] == AGENT
            # A's own call is not an abandon: its record says the caller booked a callback.
            original = await until(lambda: pool.fetchrow(
                "SELECT outcome, linkedid FROM calls WHERE caller_number = $1 AND outcome IS NOT NULL", a), 20,
                "A's call record")
            assert original["outcome"] == "callback_requested" and original["linkedid"] == row["original_linkedid"]
            connect_b = events.of("AgentConnect", CallerIDNum=b)[0]
            answered_a = events.of("OriginateResponse", Response="Success")
            assert answered_a and float(answered_a[0]["Timestamp"]) < float(connect_b["Timestamp"])
            assert await trunk.wait(30) == 0, trunk.errors()
            for run in (caller_b, caller_c):
                run.kill()
            phone.kill()
    finally:
        await controller.stop()
        await pool.close()


async def _three(entries_coro):
    entries = await entries_coro
    return entries if len(entries) == 3 else None


async def _state(pool, number: str, state: str):
    rows = await request_rows(pool, number)
    return rows[-1] if rows and rows[-1]["state"] == state else None


def requests_of(pool, number: str):
    return lambda: request_rows(pool, number)


async def test_no_answer_is_retried_after_the_delay_then_goes_to_the_worklist(asterisk_factory, make_pg_cluster,
                                                                             tmp_path):
    pbx, pool, controller = await callback_stack(asterisk_factory, make_pg_cluster, tmp_path, callback_ring_s=5,
                                                 callback_retry_delay_s=4, callback_attempts=2)
    number = "0911000011"
    try:
        async with SippRunner(pbx.options.sip_port) as sipp:
            trunk = await sipp.start_citizen_trunk_no_answer(trunk_port(pbx), calls=2, timeout=150)
            caller = await sipp.sipp_call(PRESS_CALLBACK, hold_s=60, caller=number)
            assert await caller.wait(60) == 0, caller.errors()
            phone = await sipp.start_agent(AGENT, await sip_password(pool, AGENT), talk_s=60, calls=2, timeout=150)
            await controller.agents.login(AGENT)
            row = await until(lambda: _state(pool, number, "to_worklist"), 120, "the request in the worklist")
            assert await trunk.wait(30) == 0, trunk.errors()
            phone.kill()
            received = [m for m in trunk.messages() if not m.sent]
        attempts = await pool.fetch("SELECT * FROM callback_attempts WHERE request_id = $1 ORDER BY id", row["id"])
    finally:
        await controller.stop()
        await pool.close()
    assert row["attempts"] == 2 and row["reached_at"] is None
    assert [a["result"] for a in attempts] == ["no_answer", "no_answer"], [dict(a) for a in attempts]
    assert attempts[0]["ended_at"] <= attempts[1]["started_at"]
    # On the trunk: INVITE, CANCEL, then — the retry delay later — the second INVITE; never two at once.
    messages = [(m.at, m.first_line.split()[0]) for m in received]
    kinds = [kind for _, kind in messages if kind in ("INVITE", "CANCEL")]
    assert kinds == ["INVITE", "CANCEL", "INVITE", "CANCEL"], messages
    times = [at for at, kind in messages if kind in ("INVITE", "CANCEL")]
    assert all(f"sip:{number}@" in m.first_line for m in received if m.first_line.startswith("INVITE"))
    assert times[2] - times[1] >= 4 - 0.5, times


async def test_the_same_number_twice_is_one_request_at_the_earlier_place(asterisk_factory, make_pg_cluster,
                                                                         tmp_path):
    pbx, pool, controller = await callback_stack(asterisk_factory, make_pg_cluster, tmp_path)
    events = Events(controller)
    number, other = "0911000021", "0911000022"
    try:
        async with SippRunner(pbx.options.sip_port) as sipp:
            first = await sipp.sipp_call(PRESS_CALLBACK, hold_s=60, caller=number)
            await until(lambda: events.joined(number), 20, "the first call in the queue")
            middle = await sipp.sipp_call("2", hold_s=120, caller=other)
            await until(lambda: events.joined(other), 20, "another caller in the queue")
            second = await sipp.sipp_call(PRESS_CALLBACK, hold_s=60, caller=number)
            assert await first.wait(60) == 0, first.errors()
            assert await second.wait(60) == 0, second.errors()
            rows = await request_rows(pool, number)
            entries = await queue_entries(controller)
            middle.kill()
    finally:
        await controller.stop()
        await pool.close()
    assert [(r["state"], r["merged_into"]) for r in rows] == [("waiting", None), ("cancelled", rows[0]["id"])]
    assert rows[0]["place_at"] < rows[1]["place_at"]
    # One placeholder, at the earlier place: ahead of the caller who joined between the two calls.
    assert [e["CallerIDNum"] for e in entries] == [number, other], entries
    assert entries[0]["Uniqueid"].startswith(f"cb-{rows[0]['id']}-")


def controller_process(pbx, url: str, state, http_port: int):
    o = pbx.options
    env = {**os.environ, "DATABASE_URL": url, "IVR_AMI_PORT": str(o.ami_port), "IVR_AGI_PORT": str(o.agi_port),
           "IVR_HTTP_PORT": str(http_port), "IVR_AMI_USER": o.ami_user, "IVR_AMI_SECRET": o.ami_secret,
           "IVR_STATE_DIR": str(state), "IVR_CALLBACK_RETRY_DELAY": "3", "IVR_CALLBACK_ATTEMPTS": "2"}
    log = open(state / "controller.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "ivr", "controller"], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


async def placeholders_in_line(ami, count: int):
    try:
        events = await ami.collect("QueueStatus", Queue="cdc")
    except AmiError:            # Asterisk restarting
        return None
    entries = sorted((e for e in events if e.get("Event") == "QueueEntry"), key=lambda e: int(e["Position"]))
    mine = [e for e in entries if e.get("Uniqueid", "").startswith("cb-")]
    return entries if len(mine) == count == len(entries) else None


async def test_three_pending_callbacks_survive_a_controller_kill_and_an_asterisk_restart(
        asterisk_factory, make_pg_cluster, tmp_path):
    cluster = await make_pg_cluster()
    await cluster.create_database("cb")
    url = cluster.dsn("cb")
    pool = await asyncpg.create_pool(url, min_size=1, max_size=4)
    await migrate(pool)
    await load_demo_data(pool)
    agents = tuple(AgentEndpoint(a["ext"], a["sip_password"]) for a in await list_sip_credentials(pool))
    pbx = await asterisk_factory(db=db_params(url), agents=agents, queue_max_wait_s=300)
    ami = AmiClient("127.0.0.1", pbx.options.ami_port, pbx.options.ami_user, pbx.options.ami_secret)
    await ami.start()
    await ami.wait_connected(10)
    joined: list[str] = []
    ami.subscribe(lambda e: joined.append(e.get("CallerIDNum", "")) if e.get("Event") == "QueueCallerJoin" else None)
    numbers = ["0911000031", "0911000032", "0911000033"]
    http_port = free_port()
    killed = controller_process(pbx, url, tmp_path, http_port)
    controller = None
    try:
        await until(lambda: controller_healthy(http_port), 40, "the controller to be healthy")
        async with SippRunner(pbx.options.sip_port) as sipp:
            callers = []
            for number in numbers:
                callers.append(await sipp.sipp_call(PRESS_CALLBACK, hold_s=60, caller=number))
                await until(lambda: number in joined, 20, f"{number} in the queue")
            for caller in callers:
                assert await caller.wait(60) == 0, caller.errors()
            before = await until(lambda: placeholders_in_line(ami, 3), 20, "three placeholders in line")
            assert [e["CallerIDNum"] for e in before] == numbers
            killed.send_signal(signal.SIGKILL)
            killed.wait(timeout=10)
            # The restarted controller adopts the three placeholders: none twice, the same order.
            settings = controller_settings(pbx, url, tmp_path, wrapup_limit_s=5, callback_ring_s=10)
            controller = Controller(settings, url)
            await controller.start()
            await until(lambda: len(controller.callbacks.placeholders) == 3, 20, "the placeholders adopted")
            adopted = await placeholders_in_line(ami, 3)
            assert [e["Uniqueid"] for e in adopted] == [e["Uniqueid"] for e in before]
            # Asterisk restarts: every placeholder is gone; the controller re-creates them in order.
            await pbx.stop()
            await pbx.start()
            after = await until(lambda: placeholders_in_line(ami, 3), 60, "three placeholders after the restart")
            assert [e["CallerIDNum"] for e in after] == numbers
            assert not {e["Uniqueid"] for e in after} & {e["Uniqueid"] for e in before}
            # An agent: the three citizens are called back in their order.
            trunk = await sipp.start_citizen_trunk(trunk_port(pbx), hold_s=2, calls=3, timeout=150)
            phone = await sipp.start_agent(AGENT, await sip_password(pool, AGENT), talk_s=30, calls=3, timeout=150)
            await controller.agents.login(AGENT)
            for number in numbers:
                await until(lambda: _state(pool, number, "connected"), 90, f"{number} called back")
            dialled = [line.split()[1] for _, line in invites(trunk)]
            assert await trunk.wait(30) == 0, trunk.errors()
            phone.kill()
    finally:
        if killed.poll() is None:
            killed.kill()
            killed.wait(timeout=10)
        if controller is not None:
            await controller.stop()
        await ami.stop()
        await pool.close()
    assert [uri.split("@")[0] for uri in dialled] == [f"sip:{n}" for n in numbers]


async def switch(controller: Controller, pool, scope: str, enabled: bool) -> None:
    """The surge switch as /api/v1/surge flips it: a row in PostgreSQL, then its AstDB mirror. First waits
    for the mirror the controller writes after its AMI connect (every scope, from PostgreSQL), which
    would otherwise overwrite a switch flipped before it."""
    await until(lambda: set(controller.surge.mirrored) == set(SCOPES), 15, "the start-up surge mirror")
    await switch_surge(pool, scope=scope, enabled=enabled, message="", changed_by="test", remote_addr=None)
    assert await controller.surge.mirror(scope, enabled)


async def test_surge_mode_offers_the_callback_at_queue_entry(asterisk_factory, make_pg_cluster, tmp_path):
    """AstDB surge/cdc = 1 (the surge switch's key): the offer comes before the queue, so * right after
    the branch key books a callback; with surge off the same keys do not."""
    pbx, pool, controller = await callback_stack(asterisk_factory, make_pg_cluster, tmp_path)
    events = Events(controller)
    surge, calm = "0911000041", "0911000042"
    try:
        async with SippRunner(pbx.options.sip_port) as sipp:
            await switch(controller, pool, "cdc", True)
            caller = await sipp.sipp_call("2*1", hold_s=40, caller=surge)
            assert await caller.wait(60) == 0, caller.errors()
            rows = await request_rows(pool, surge)
            assert [(r["state"], r["queue"], r["queue_position"]) for r in rows] == [("waiting", "cdc", None)]
            await switch(controller, pool, "cdc", False)
            quiet = await sipp.sipp_call("2*1", hold_s=12, caller=calm)
            await until(lambda: events.joined(calm), 20, "the caller in the queue")
            await quiet.wait(40)
            assert await request_rows(pool, calm) == []
    finally:
        await controller.stop()
        await pool.close()
    steps = [e for e in events.of("UserEvent", UserEvent="IvrStep", Step="callback")]
    assert [s.get("CallerIDNum") for s in steps] == [surge], steps
