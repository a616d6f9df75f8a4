"""Issue 4 (ACD core): agents' states, wrap-up as a state, pause, wrap-up form and tickets —
against the real Asterisk, PostgreSQL and the controller in-process, through the REST API.

Each test uses its own demo agent (a Local-channel interface that answers and talks TEST_TALK_S
seconds) and logs it out at the end, so no member is left in a queue for other tests.
"""
from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import aiohttp
import pytest

from db.calls import upsert_calls
from db.records import CallRecord
from ivr.ami.client import AmiActionFailed
from tests.fixtures.asterisk import free_port
from tests.fixtures.controller import CallDriver, hangup_callers
from tests.waiting import until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

_numbers = itertools.count(1)


def new_number() -> str:
    return f"0904{next(_numbers):06d}"


class Console:
    """The controller's REST API over HTTP, logged in as one extension per token."""

    def __init__(self, session: aiohttp.ClientSession, port: int):
        self._session, self._base = session, f"http://127.0.0.1:{port}"
        self._tokens: dict[str, str] = {}

    async def token(self, ext: str) -> str:
        if ext not in self._tokens:
            async with self._session.post(f"{self._base}/api/v1/auth/login",
                                          json={"username": ext, "password": f"demo{ext}"}) as resp:
                assert resp.status == 200, await resp.text()
                self._tokens[ext] = (await resp.json())["token"]
        return self._tokens[ext]

    async def call(self, method: str, path: str, as_ext: str, **kwargs: Any) -> tuple[int, Any]:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {await self.token(as_ext)}"}
        async with self._session.request(method, self._base + path, headers=headers, **kwargs) as resp:
            return resp.status, await resp.json()




async def stays(predicate: Callable[[], Any], seconds: float, what: str) -> None:
    """`predicate` holds at every check for `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        assert value, f"{what} stopped holding"
        await asyncio.sleep(0.3)


def answered(service, ext: str, other_than: str | None = None) -> bool:
    """`ext` answered a call (other than `other_than`): it is on it, or already in its wrap-up. On a loaded
    machine Asterisk can bridge the caller only after the test agent's fixed talk time has run out, so
    on_call may last a millisecond, less than a poll; wrap-up follows only an AgentComplete, so it shows
    the call was answered as well (the stored states below check the whole sequence)."""
    state = service.state(ext)
    return state.state in ("on_call", "wrap_up") and state.linkedid not in (None, other_than)


async def member_paused(controller, interface: str) -> list[tuple[str, str, str]]:
    events = await controller.ami.collect("QueueStatus")
    return [(e["Queue"], e.get("Paused", ""), e.get("PausedReason", "")) for e in events
            if e.event == "QueueMember" and e.get("Location") == interface]


async def log_out(controller, ext: str, numbers: list[str]) -> None:
    """Cleanup: let the agent's call end, hang up the test's callers, remove the agent from its queues."""
    service = controller.agents
    try:
        await until(lambda: service.state(ext).state not in ("on_call", "ringing"), 15,
                    f"{ext} off the call (now {service.state(ext)})")
    finally:
        for number in numbers:
            await hangup_callers(controller, number)
    if service.state(ext).logged_in:
        await service.logout(ext)


async def queues_loaded(controller) -> None:
    """Asterisk answers AMI before app_queue is loaded: wait for QueueStatus to be known."""
    async def answered() -> bool:
        try:
            await controller.ami.collect("QueueStatus")
        except AmiActionFailed:
            return False
        return True
    await until(answered, 30, "app_queue loaded")


@pytest.fixture
async def console(controller):
    await queues_loaded(controller)
    async with aiohttp.ClientSession() as session:
        yield Console(session, controller.settings.http_port)


async def test_wrap_up_holds_the_next_caller_until_the_form_is_submitted(controller, calls, console):
    ext, interface = "1004", "Local/1004@test-agent/n"
    service = controller.agents
    service.use_interface(ext, interface)
    first, second = new_number(), new_number()
    await calls.set_global("TEST_TALK_S", "3")
    try:
        status, body = await console.call("POST", f"/api/v1/agents/{ext}/login", ext)
        assert (status, body["state"]) == (200, "ready"), body
        await calls.caller("2", first)
        await until(lambda: answered(service, ext), 30, "first caller answered")
        await calls.caller("2", second)
        await until(lambda: service.state(ext).state == "wrap_up", 20, "wrap-up after the first call")
        linkedid = service.state(ext).linkedid
        assert (await calls.record(first))["linkedid"] == linkedid
        await until(lambda: calls.queue_waiting("cdc"), 10, "second caller waiting")
        # In wrap-up: the second caller keeps waiting, the member is paused with reason wrap-up.
        await stays(lambda: service.state(ext).state == "wrap_up", 4, "wrap-up")
        assert await calls.queue_waiting("cdc") == 1
        assert {(p, r) for _, p, r in await member_paused(controller, interface)} == {("1", "wrap-up")}
        status, queues = await console.call("GET", "/api/v1/queues", ext)
        cdc = next(q for q in queues["queues"] if q["queue"] == "cdc")
        assert status == 200 and cdc["waiting"] == 1 and cdc["longest_wait_s"] >= 3, cdc
        status, agents = await console.call("GET", "/api/v1/agents", "2001")
        assert {"ext": ext, "state": "wrap_up", "linkedid": linkedid} == {
            k: v for k, v in next(a for a in agents["agents"] if a["ext"] == ext).items()
            if k in ("ext", "state", "linkedid")}

        status, saved = await console.call("POST", f"/api/v1/calls/{linkedid}/wrapup", ext, json={
            "category": "tiêm chủng", "outcome": "resolved", "notes": "hỏi lịch tiêm"})
        assert status == 200, saved
        assert saved["agent"]["state"] == "ready" and saved["ticket"]["status"] == "closed"
        await until(lambda: answered(service, ext, other_than=linkedid), 20,
                    "second caller offered to the agent after the wrap-up")
        status, tickets = await console.call("GET", f"/api/v1/tickets?linkedid={linkedid}", ext)
        assert [(t["category"], t["status"], t["caller_number"], t["branch"]) for t in tickets["tickets"]] == [
            ("tiêm chủng", "closed", first, 2)]
        wrapup = await calls.pool.fetchrow("SELECT * FROM wrapups WHERE linkedid = $1", linkedid)
        assert (wrapup["ext"], wrapup["outcome"], wrapup["notes"]) == (ext, "resolved", "hỏi lịch tiêm")
    finally:
        await log_out(controller, ext, [first, second])
    await controller.agent_states.drained(5)
    states = [r["state"] for r in await calls.pool.fetch(
        "SELECT state FROM agent_states WHERE ext = $1 ORDER BY started_at, id", ext)]
    assert states[:6] == ["ready", "ringing", "on_call", "wrap_up", "ready", "ringing"], states
    assert states[-1] == "logged_out"


async def test_paused_agent_is_offered_no_call_and_the_pause_is_stored(controller, calls, console):
    ext, interface = "1006", "Local/1006@test-agent/n"
    service = controller.agents
    service.use_interface(ext, interface)
    number = new_number()
    await calls.set_global("TEST_TALK_S", "2")
    try:
        assert (await console.call("POST", f"/api/v1/agents/{ext}/login", ext))[0] == 200
        status, body = await console.call("POST", f"/api/v1/agents/{ext}/pause", ext, json={"reason": "họp giao ban"})
        assert (status, body["state"], body["reason"]) == (200, "paused", "họp giao ban"), body
        assert {(p, r) for _, p, r in await member_paused(controller, interface)} == {("1", "họp giao ban")}
        await calls.caller("2", number)
        await until(lambda: calls.queue_waiting("cdc"), 15, "caller waiting")
        await stays(lambda: service.state(ext).state == "paused", 4, "paused, never rung")
        assert await calls.queue_waiting("cdc") == 1
        status, body = await console.call("POST", f"/api/v1/agents/{ext}/ready", ext)
        assert (status, body["state"]) == (200, "ready")
        await until(lambda: answered(service, ext), 20, "the caller offered once ready")
    finally:
        await log_out(controller, ext, [number])
    await controller.agent_states.drained(5)
    pause = await calls.pool.fetchrow(
        """SELECT reason, EXTRACT(EPOCH FROM ended_at - started_at)::float8 AS seconds
           FROM agent_states WHERE ext = $1 AND state = 'paused' ORDER BY started_at DESC LIMIT 1""", ext)
    assert pause["reason"] == "họp giao ban" and pause["seconds"] >= 4, dict(pause)


async def test_wrap_up_form_is_validated_and_only_for_the_agent_of_the_call(controller, calls, console):
    linkedid = f"acd-{uuid.uuid4().hex[:10]}"
    now = datetime.now(timezone.utc)
    async with calls.pool.acquire() as con:
        await upsert_calls(con, [CallRecord(linkedid=linkedid, started_at=now, caller_number="0912345678",
                                            branch=4, queue="violations", agent="1007", outcome="answered",
                                            answered_at=now, ended_at=now)])
    path = f"/api/v1/calls/{linkedid}/wrapup"
    bad = [({"category": "x", "outcome": "maybe"}, "outcome"),
           ({"category": "x", "outcome": "forwarded"}, "agency"),
           ({"category": "x", "outcome": "answered", "notes": "n" * 2001}, "notes"),
           ({"outcome": "answered"}, "category")]
    for body, field in bad:
        status, answer = await console.call("POST", path, "1007", json=body)
        assert status == 400 and field in answer["error"], (body, answer)
    status, answer = await console.call("POST", path, "1007", data=b"{not json",
                                        headers={"Content-Type": "application/json"})
    assert status == 400 and "JSON" in answer["error"]
    assert await calls.pool.fetchval("SELECT count(*) FROM wrapups WHERE linkedid = $1", linkedid) == 0
    assert await calls.pool.fetchval("SELECT count(*) FROM tickets WHERE linkedid = $1", linkedid) == 0

    good = {"category": "lấn chiếm vỉa hè", "outcome": "forwarded", "agency": "UBND phường"}
    assert (await console.call("POST", path, "1008", json=good))[0] == 403
    assert (await console.call("POST", "/api/v1/calls/no-such-call/wrapup", "1007", json=good))[0] == 404
    status, saved = await console.call("POST", path, "2001", json=good)   # a supervisor may
    assert status == 200, saved
    assert (saved["ticket"]["status"], saved["ticket"]["agency"], saved["wrapup"]["ext"]) == (
        "forwarded", "UBND phường", "1007")
    history = await calls.pool.fetch("SELECT by, status FROM ticket_events WHERE ticket_id = $1",
                                     saved["ticket"]["id"])
    assert [(h["by"], h["status"]) for h in history] == [("2001", "forwarded")]


async def test_agent_commands_are_checked(controller, console):
    assert (await console.call("POST", "/api/v1/agents/9999/login", "2001"))[0] == 404
    assert (await console.call("POST", "/api/v1/agents/1009/login", "1008"))[0] == 403
    status, body = await console.call("POST", "/api/v1/agents/1008/ready", "1008")
    assert status == 409 and "logged_out" in body["error"]
    status, body = await console.call("POST", "/api/v1/agents/1008/pause", "1008", json={})
    assert status == 400 and "reason" in body["error"]
    assert controller.agents.state("1008").state == "logged_out"


async def test_wrap_up_ends_by_itself_after_the_limit(make_controller, db_pool):
    # Its own FastAGI port: the session's controller may be listening on the instance's one.
    limited = await make_controller(wrapup_limit_s=3, agi_port=free_port())
    await queues_loaded(limited)
    calls = CallDriver(limited, db_pool)
    ext = "1002"
    service = limited.agents
    number = new_number()
    await calls.set_global("TEST_TALK_S", "2")
    try:
        await service.login(ext, interface="Local/1002@test-agent/n")
        await calls.caller("2", number)
        await until(lambda: service.state(ext).state == "wrap_up", 30, "wrap-up after the call")
        started = service.state(ext).since
        await until(lambda: service.state(ext).state == "ready", 8, "ready after the wrap-up limit")
        waited = (service.state(ext).since - started).total_seconds()
        assert 2.5 <= waited <= 6, waited
        assert {p for _, p, _ in await member_paused(limited, "Local/1002@test-agent/n")} == {"0"}
    finally:
        await log_out(limited, ext, [number])
    await limited.agent_states.drained(5)
    row = await db_pool.fetchrow(
        """SELECT reason, EXTRACT(EPOCH FROM ended_at - started_at)::float8 AS seconds FROM agent_states
           WHERE ext = $1 AND state = 'wrap_up' ORDER BY started_at DESC LIMIT 1""", ext)
    assert row["reason"] == "wrap-up" and 2.5 <= row["seconds"] <= 6, dict(row)
