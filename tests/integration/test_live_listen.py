"""A supervisor listens to an agent's live call from his own phone — real Asterisk, PostgreSQL and SIP.

Agent 1001's phone and supervisor 2001's phone are sipp UAs registered with digest auth as their
own PJSIP endpoints; a Local-channel caller presses 2 (cdc) and is answered by 1001. POST listen
as 2001 rings 2001's phone (sipp answers), ChanSpy starts on PJSIP/1001-…, and the audit row is
there. Refusals (agent 403, not on a call 409, unknown 404, Asterisk away 503) ring nothing and
write nothing.
"""
from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

import aiohttp
import asyncpg
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from agent_console.app import init_app
from agent_console.config import ConsoleConfig
from db.demo import load_demo_data
from ivr.acd.listen import LiveListener
from ivr.ami.client import AmiClient
from tests.integration.test_acd import Console, log_out, queues_loaded
from tests.sipp import SippRunner
from tests.fixtures.console import AllUp
from tests.waiting import until

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

AGENT, SUPERVISOR, OTHER_SUPERVISOR = "1001", "2001", "2002"
_numbers = itertools.count(1)


@pytest.fixture
async def console(controller) -> AsyncIterator[Console]:
    await queues_loaded(controller)
    async with aiohttp.ClientSession() as session:
        yield Console(session, controller.settings.http_port)


async def sip_password(pool: asyncpg.Pool, ext: str) -> str:
    return await pool.fetchval("SELECT sip_password FROM agents WHERE ext = $1", ext)


async def log_count(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM live_listen_log")


def listen_results(feed: asyncio.Queue, seen: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """`seen` with the live feed's listen messages so far appended, as (listener, agent, result)."""
    while not feed.empty():
        message = feed.get_nowait()
        if message.get("type") == "listen":
            seen.append((message["ext"], message["agent"], message["result"]))
    return seen


def watch(controller, names: tuple[str, ...]) -> list[Mapping[str, str]]:
    """Every later AMI event named in `names`, as the controller's client receives it."""
    seen: list[Mapping[str, str]] = []
    controller.ami.subscribe(lambda e: seen.append(e) if e.get("Event") in names else None)
    return seen


async def test_the_supervisors_phone_rings_and_listens_to_the_agents_call(controller, telephony, calls, console):
    number = f"0955{next(_numbers):06d}"  # a prefix of its own: CallDriver.record finds calls by number
    service, pool = controller.agents, calls.pool
    spy = watch(controller, ("ChanSpyStart", "ChanSpyStop"))
    feed, outcomes = controller.live.subscribe(), []
    async with SippRunner(telephony.options.sip_port) as sipp:
        agent_phone = await sipp.start_agent(AGENT, await sip_password(pool, AGENT), talk_s=12, timeout=40)
        supervisor_phone = await sipp.start_agent(SUPERVISOR, await sip_password(pool, SUPERVISOR), talk_s=3,
                                                  timeout=30)
        try:
            status, body = await console.call("POST", f"/api/v1/agents/{AGENT}/login", AGENT)
            assert (status, body["state"]) == (200, "ready"), body
            await calls.caller("2", number)
            await until(lambda: service.state(AGENT).state == "on_call", 30, "the caller answered by 1001")
            linkedid = service.state(AGENT).linkedid

            status, body = await console.call("POST", f"/api/v1/agents/{AGENT}/listen", SUPERVISOR)
            listen_id = body.get("listen_id")
            assert (status, body) == (202, {"agent": AGENT, "listener": SUPERVISOR, "linkedid": linkedid,
                                            "listen_id": listen_id}), body
            start = await until(lambda: next((e for e in spy if e.get("Event") == "ChanSpyStart"), None), 15,
                                "ChanSpyStart")
            assert start["SpyeeChannel"].startswith(f"PJSIP/{AGENT}-"), dict(start)
            assert start["SpyerChannel"].startswith(f"PJSIP/{SUPERVISOR}-"), dict(start)
            assert start["SpyerLinkedid"] == f"listen-{SUPERVISOR}-{AGENT}-{listen_id}", dict(start)
            # The supervisor's phone got the INVITE, answered, listened 3 s and hung up (sipp exit 0).
            # Supervisor 2002 has no phone registered: refused before anything rings, no audit row.
            # (The database is the session's: other tests' rows for 2002 may be there; none may be added.)
            logged = await log_count(pool)
            status, body = await console.call("POST", f"/api/v1/agents/{AGENT}/listen", OTHER_SUPERVISOR)
            assert status == 409 and "not registered" in body["error"], body
            assert await log_count(pool) == logged
            assert await supervisor_phone.wait(20) == 0, supervisor_phone.errors()
            await until(lambda: any(e.get("Event") == "ChanSpyStop" for e in spy), 10, "ChanSpyStop")
            # The supervisor's console was told: his phone answered, then the listening ended.
            await until(lambda: (SUPERVISOR, AGENT, "ended") in listen_results(feed, outcomes), 10, "listen ended")
            assert outcomes == [(SUPERVISOR, AGENT, "answered"), (SUPERVISOR, AGENT, "ended")]
            assert service.state(AGENT).state == "on_call"      # the agent's call goes on

            row = await pool.fetchrow("SELECT * FROM live_listen_log WHERE linkedid = $1", linkedid)
            assert row is not None and (row["id"], row["agent_ext"], row["listener_ext"], row["listener_role"]) == (
                listen_id, AGENT, SUPERVISOR, "supervisor"), row
            assert row["remote_addr"] == "127.0.0.1"
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await pool.execute("DELETE FROM live_listen_log WHERE id = $1", row["id"])

            # The controller adds what became of it: answered, then ended ~3 s later (sipp hung up).
            ended = await until(lambda: pool.fetchval(
                "SELECT count(*) FROM live_listen_outcomes WHERE listen_id = $1 AND result = 'ended'", listen_id),
                10, "the listen's end in the audit log")
            assert ended == 1
            status, audit = await console.call("GET", "/api/v1/audit/live-listen?limit=1", "9001")
            assert status == 200 and audit["listens"][0]["id"] == row["id"], audit
            heard = audit["listens"][0]
            assert heard["result"] == "answered", heard
            at, answered_at, ended_at = (datetime.fromisoformat(heard[k]) for k in ("at", "answered_at", "ended_at"))
            assert at <= answered_at < ended_at, heard
            with pytest.raises(asyncpg.RaiseError, match="append-only"):
                await pool.execute("UPDATE live_listen_outcomes SET result = 'failed' WHERE listen_id = $1", listen_id)
            assert audit["listens"][0]["linkedid"] == linkedid and audit["next_before_id"] == row["id"]
            status, _ = await console.call("GET", "/api/v1/audit/live-listen", SUPERVISOR)
            assert status == 403
            assert await agent_phone.wait(30) == 0, agent_phone.errors()
            await calls.record(number)      # the citizen's call is complete by now
            # The listening call is not a citizen's call: no record, not in the reports.
            assert await pool.fetchval("SELECT count(*) FROM calls WHERE linkedid = $1 OR caller_name = $2",
                                       start["SpyerLinkedid"], f"Nghe {AGENT}") == 0
        finally:
            controller.live.unsubscribe(feed)
            await log_out(controller, AGENT, [number])


async def test_refusals_ring_nothing_and_write_nothing(controller, calls, console):
    rings = watch(controller, ("Newchannel", "OriginateResponse"))
    before = await log_count(calls.pool)
    assert controller.agents.state("1003").state == "logged_out"
    for as_ext, ext, status, error in (
            ("1002", AGENT, 403, "only supervisors and admins"),
            ("1002", "1002", 403, "only supervisors and admins"),
            (OTHER_SUPERVISOR, "1003", 409, "not on a call (state logged_out)"),
            (OTHER_SUPERVISOR, "1999", 404, "no agent 1999"),
            (OTHER_SUPERVISOR, "abc", 404, "no agent abc")):
        got, body = await console.call("POST", f"/api/v1/agents/{ext}/listen", as_ext)
        assert got == status and error in body["error"], (as_ext, ext, got, body)
    for phone in ("fax", "PJSIP/9999", None, 1):         # which of the supervisor's phones: desk or browser only
        got, body = await console.call("POST", f"/api/v1/agents/{AGENT}/whisper", OTHER_SUPERVISOR,
                                       json={"phone": phone})
        assert got == 400 and "phone must be one of desk, browser" in body["error"], (phone, got, body)
    # A window, not a wait: a refused listen must ring nothing in it (an Originate would show within it).
    await asyncio.sleep(1)
    assert [dict(e) for e in rings if e.get("Channel", "").startswith(f"PJSIP/{OTHER_SUPERVISOR}")] == []
    assert await log_count(calls.pool) == before


class OnCall:
    """AgentControl that says 1001 is on a call (the console's side only needs the snapshot)."""

    def snapshot(self) -> list[Mapping[str, Any]]:
        return [{"ext": AGENT, "state": "on_call", "reason": None, "since": None, "linkedid": "503-test"}]


@pytest_asyncio.fixture(loop_scope="session")
async def asterisk_away_client(db_pool: asyncpg.Pool) -> AsyncIterator[TestClient]:
    """The console with a real LiveListener over an AMI client that never connected."""
    await load_demo_data(db_pool)
    ami = AmiClient("127.0.0.1", 9, "nobody", "nothing")
    app = init_app(ConsoleConfig(), lambda: db_pool, AllUp(), agent_control=OnCall(),  # type: ignore[arg-type]
                   live_listen=LiveListener(ami))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


async def test_asterisk_away_is_503_and_the_audit_row_is_rolled_back(asterisk_away_client, db_pool):
    client = asterisk_away_client
    resp = await client.post("/api/v1/auth/login", json={"username": SUPERVISOR, "password": f"demo{SUPERVISOR}"})
    token = (await resp.json())["token"]
    resp = await client.post(f"/api/v1/agents/{AGENT}/listen", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 503 and "telephony unavailable" in (await resp.json())["error"]
    assert await db_pool.fetchval("SELECT count(*) FROM live_listen_log WHERE linkedid = '503-test'") == 0
