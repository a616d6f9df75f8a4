"""Issue 13 over real SIP: keep-place callbacks with sipp callers (RFC 2833 DTMF), sipp agents and a
sipp UAS as the citizens' trunk (IVR_OUTBOUND_URI). Each test has its own PostgreSQL database and
Asterisk instance, so its controller is the only one acting on its placeholders."""
from __future__ import annotations


import asyncpg
import pytest

from db.agents import list_sip_credentials
from db.demo import load_demo_data
from db.migrate import migrate
from ivr.app import Controller
from ivr.system import db_params
from runtime.asterisk import AgentEndpoint
from tests.fixtures.controller import controller_settings
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
