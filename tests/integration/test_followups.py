"""The abandoned-call worklist (issue 13) — real Asterisk, PostgreSQL and SIP.

A Local-channel caller presses 4 (violations) with no agent in that queue and is hung up after
waiting longer than the short-abandon limit: the call record's outcome is abandoned_queue and the
worklist has the number. Agent 1013 (violations) clicks "call": his sipp phone rings first and
answers, then the citizens' trunk (a sipp UAS on 127.0.0.1, IVR_OUTBOUND_URI) gets an INVITE for the
number; the outcome he records is stored and closes the item. A caller who abandons, calls again
and is answered leaves the worklist by himself. Bad input changes nothing.
"""
from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest

from tests.fixtures.controller import hangup_callers
from tests.integration.test_acd import Console, queues_loaded
from tests.sipp import SippRunner
from tests.waiting import until

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

AGENT, SUPERVISOR = "1013", "2001"
QUEUE, DIGIT = "violations", "4"
_numbers = itertools.count(1)


def fresh_number() -> str:
    return f"0966{next(_numbers):06d}"   # a prefix of its own: the records are found by number


@pytest.fixture
async def console(controller) -> AsyncIterator[Console]:
    await queues_loaded(controller)
    async with aiohttp.ClientSession() as session:
        yield Console(session, controller.settings.http_port)


async def abandon_in_queue(controller, calls, number: str) -> asyncpg.Record:
    """A caller who waits in QUEUE past the short-abandon limit (2 s here) and hangs up."""
    await calls.caller(DIGIT, number)
    await until(lambda: any(c.record.caller_number == number and c.record.queue == QUEUE
                            and c.queue_joined_at is not None for c in controller.tracker.calls.values()),
                40, f"{number} waiting in {QUEUE}")
    joined = asyncio.get_running_loop().time()
    await until(lambda: asyncio.get_running_loop().time() - joined > controller.settings.short_abandon_s + 1,
                10, "a wait longer than a short abandon", interval=0.5)
    assert await hangup_callers(controller, number) >= 1
    record = await calls.record(number)
    assert record["outcome"] == "abandoned_queue", dict(record)
    return record


async def open_item(console: Console, number: str, as_ext: str = SUPERVISOR) -> dict | None:
    status, body = await console.call("GET", "/api/v1/followups", as_ext)
    assert status == 200, body
    return next((f for f in body["followups"] if f["number"] == number), None)


async def sip_password(pool: asyncpg.Pool, ext: str) -> str:
    return await pool.fetchval("SELECT sip_password FROM agents WHERE ext = $1", ext)


def invites(run) -> list:
    return [m for m in run.messages() if not m.sent and m.first_line.startswith("INVITE ")]


async def test_an_abandoned_caller_is_called_from_the_worklist(controller, telephony, calls, console):
    number, pool = fresh_number(), calls.pool
    record = await abandon_in_queue(controller, calls, number)
    item = await until(lambda: open_item(console, number), 10, "the abandoned number on the worklist")
    assert (item["branch"], item["language"], item["linkedid"], item["attempts"], item["state"]) == (
        4, "vi", record["linkedid"], 0, "open"), item
    assert item["wait_s"] == pytest.approx(float(record["wait_s"])) and item["wait_s"] > 2, item
    # Agent 1013 serves violations and sees it; agent 1001 (cdc) does not.
    assert await open_item(console, number, AGENT) is not None
    assert await open_item(console, number, "1001") is None
    status, body = await console.call("POST", f"/api/v1/followups/{item['id']}/call", "1001")
    assert status == 404, body

    port = int(telephony.options.outbound_uri.rsplit(":", 1)[1])
    async with SippRunner(telephony.options.sip_port) as sipp:
        phone = await sipp.start_agent(AGENT, await sip_password(pool, AGENT), talk_s=15, timeout=60)
        trunk = await sipp.start_citizen_trunk(port, hold_s=3, calls=1, timeout=60)
        status, body = await console.call("POST", f"/api/v1/followups/{item['id']}/call", AGENT)
        assert status == 202, body
        assert (body["attempts"], body["last_agent"], body["last_outcome"]) == (1, AGENT, None), body
        # His own phone first, then the citizen through the outbound trunk, the number as the user.
        citizen = await until(lambda: invites(trunk), 30, "the citizen's INVITE on the outbound trunk")
        assert citizen[0].first_line.startswith(f"INVITE sip:{number}@127.0.0.1:{port}"), citizen
        agent_invite = invites(phone)
        assert agent_invite and agent_invite[0].at <= citizen[0].at, (agent_invite, citizen)
        assert await trunk.wait(30) == 0, trunk.errors()      # the citizen answered, talked 3 s, hung up
        assert await phone.wait(30) == 0, phone.errors()      # the agent's call ended with it
    assert len(citizen) == 1
    status, body = await console.call("POST", f"/api/v1/followups/{item['id']}/outcome", AGENT,
                                      json={"outcome": "reached"})
    assert status == 200, body
    assert (body["state"], body["closed_reason"], body["closed_by"], body["last_outcome"]) == (
        "closed", "reached", AGENT, "reached"), body
    assert await open_item(console, number) is None
    attempt = await pool.fetchrow("SELECT * FROM followup_attempts WHERE followup_id = $1", item["id"])
    assert (attempt["agent_ext"], attempt["outcome"]) == (AGENT, "reached") and attempt["outcome_at"] is not None
    # The call from the worklist is not a call into the hotline: no call record for it.
    assert await pool.fetchval("SELECT count(*) FROM calls WHERE linkedid LIKE 'followup-%'") == 0
    status, body = await console.call("POST", f"/api/v1/followups/{item['id']}/call", AGENT)
    assert status == 409 and "closed" in body["error"], body


async def test_an_abandoned_caller_who_calls_again_and_is_answered_leaves_the_worklist(controller, calls, console):
    number = fresh_number()
    await abandon_in_queue(controller, calls, number)
    item = await until(lambda: open_item(console, number), 10, "the abandoned number on the worklist")
    interface = await calls.local_agent(QUEUE, "1899")
    try:
        await calls.caller(DIGIT, number)
        answered = await until(lambda: calls.pool.fetchval(
            "SELECT linkedid FROM calls WHERE caller_number = $1 AND outcome = 'answered'", number),
            60, "the second call answered and complete")
    finally:
        await calls.remove_agent(QUEUE, interface)
        await hangup_callers(controller, number)
    row = await calls.pool.fetchrow("SELECT state, closed_reason, closed_by FROM followups WHERE id = $1", item["id"])
    assert dict(row) == {"state": "closed", "closed_reason": "answered_again", "closed_by": answered}
    assert await open_item(console, number) is None


async def test_bad_input_is_refused_and_changes_nothing(controller, calls, console):
    number, pool = fresh_number(), calls.pool
    await abandon_in_queue(controller, calls, number)
    item = await until(lambda: open_item(console, number), 10, "the abandoned number on the worklist")
    before = await pool.fetchval("SELECT count(*) FROM followup_attempts")
    base = f"/api/v1/followups/{item['id']}"
    for method, path, as_ext, kwargs, status, error in (
            ("POST", "/api/v1/followups/999999999/call", AGENT, {}, 404, "no follow-up 999999999"),
            ("POST", "/api/v1/followups/999999999/outcome", AGENT, {"json": {"outcome": "reached"}}, 404,
             "no follow-up"),
            ("POST", f"{base}/outcome", AGENT, {"json": {"outcome": "maybe"}}, 422, "outcome must be one of"),
            ("POST", f"{base}/outcome", AGENT, {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
             400, "body must be a JSON object"),
            ("POST", f"{base}/outcome", AGENT, {"json": {"outcome": "no_answer"}}, 409, "call first"),
            ("GET", "/api/v1/followups?state=lost", AGENT, {}, 400, "state must be"),
            ("GET", "/api/v1/followups?limit=0", AGENT, {}, 400, "limit must be"),
            # 1012's phone is not registered: refused before anything rings, no attempt written.
            ("POST", f"{base}/call", "1012", {}, 409, "not registered"),
    ):
        got, body = await console.call(method, path, as_ext, **kwargs)
        assert (got, error in body.get("error", "")) == (status, True), (path, kwargs, body)
    assert await pool.fetchval("SELECT count(*) FROM followup_attempts") == before
    after = await open_item(console, number)
    assert after is not None and after["attempts"] == 0, after
