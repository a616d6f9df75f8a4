"""The surge switch (issue 13) — real Asterisk, PostgreSQL and the console's API.

A supervisor turns surge mode on: the audit row is there, Asterisk's AstDB has surge/all = 1, and a
new caller hears 1022/surge before the menu: the step surge=all comes after the language step by at
least the prompt's length (a missing or skipped prompt gives no such gap). A branch's switch plays it
after the branch key instead. After an AMI reconnect the controller writes PostgreSQL's state into
AstDB again (a stale value there is corrected). Bad input and agents are refused and change nothing.

The session's Asterisk has no generated prompts (the fixtures build none, for speed): this module
builds 1022/surge alone and puts it into the instance's sound directory (Asterisk reads a file when
it plays it).
"""
from __future__ import annotations

import dataclasses
import itertools
import shutil
import wave
from collections.abc import AsyncIterator

import aiohttp
import pytest

from prompts.build import ensure_prompts_async
from prompts.catalog import read_catalog
from tests.fixtures.controller import hangup_callers
from tests.integration.test_acd import Console, queues_loaded
from tests.waiting import until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

SUPERVISOR, AGENT = "2001", "1012"
_numbers = itertools.count(1)


@pytest.fixture
async def console(controller) -> AsyncIterator[Console]:
    await queues_loaded(controller)
    async with aiohttp.ClientSession() as session:
        console = Console(session, controller.settings.http_port)
        try:
            yield console
        finally:          # the session's Asterisk serves the other tests: no surge left on
            for branch in (None, 2, 3, 4):
                status, body = await console.call("POST", "/api/v1/surge", SUPERVISOR,
                                                  json={"enabled": False, "branch": branch})
                assert status == 200, body


@pytest.fixture
async def surge_prompt_s(telephony, tmp_path) -> float:
    """Builds 1022/surge (vi), installs it in the running instance; its length in seconds."""
    catalog = read_catalog()
    only = dataclasses.replace(catalog, prompts=(catalog.prompt("1022/surge"),), tones=(), moh=())
    await ensure_prompts_async(tmp_path, catalog=only)
    built = tmp_path / "sounds" / "vi" / "1022" / "surge.wav"
    target = telephony.dir / "data" / "sounds" / "vi" / "1022" / "surge.wav"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built, target)
    with wave.open(str(built), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


async def astdb(controller, key: str) -> str | None:
    events = await controller.ami.collect("DBGet", Family="surge", Key=key)
    return next((e.get("Val") for e in events if e.get("Event") == "DBGetResponse"), None)


def steps_of(controller, number: str) -> list:
    call = next((c for c in controller.tracker.calls.values() if c.record.caller_number == number), None)
    return list(call.record.ivr_path) if call is not None else []


async def test_surge_on_plays_the_surge_message_before_the_menu(controller, calls, console, surge_prompt_s):
    assert surge_prompt_s > 4, surge_prompt_s
    pool = calls.pool
    status, body = await console.call("POST", "/api/v1/surge", SUPERVISOR,
                                      json={"enabled": True, "message": "Lũ lụt ở quận Hoàng Mai"})
    assert status == 200, body
    assert (body["scope"], body["enabled"], body["changed_by"], body["asterisk"]) == ("all", True, SUPERVISOR,
                                                                                     "applied"), body
    row = await pool.fetchrow("SELECT * FROM surge_switches WHERE id = $1", body["id"])
    assert (row["scope"], row["enabled"], row["changed_by"], row["message"], row["remote_addr"]) == (
        "all", True, SUPERVISOR, "Lũ lụt ở quận Hoàng Mai", "127.0.0.1"), dict(row)
    assert await astdb(controller, "all") == "1"
    status, view = await console.call("GET", "/api/v1/surge", AGENT)
    assert status == 200 and view["surge"][0]["enabled"] is True and "history" not in view, view

    number = f"0977{next(_numbers):06d}"
    await controller.ami.send("Originate", Channel="Local/s@test-silent/n", Context="from-trunk", Exten="1022",
                              Priority="1", CallerID=number, Async="true")
    try:
        steps = await until(lambda: _with(steps_of(controller, number), "surge"), 60, "the surge step")
    finally:
        await hangup_callers(controller, number)
    language = next(s for s in steps if s.kind == "language")
    surge = next(s for s in steps if s.kind == "surge")
    assert surge.value == "all"
    # The step follows the whole message (Background returns at its end); nothing came between.
    assert (surge.at - language.at).total_seconds() >= 0.9 * surge_prompt_s, (language, surge)
    assert [s.kind for s in steps[:2]] == ["language", "surge"], steps
    record = await calls.record(number)
    stored = await pool.fetch("SELECT kind, value FROM call_steps WHERE linkedid = $1 ORDER BY seq",
                              record["linkedid"])
    assert ("surge", "all") in [(r["kind"], r["value"]) for r in stored]


async def test_a_branchs_surge_plays_after_the_branch_key(controller, calls, console, surge_prompt_s):
    status, body = await console.call("POST", "/api/v1/surge", SUPERVISOR, json={"enabled": True, "branch": 4})
    assert status == 200 and (body["scope"], body["branch"]) == ("violations", 4), body
    assert (await astdb(controller, "violations"), await astdb(controller, "all")) == ("1", "0")
    number = f"0977{next(_numbers):06d}"
    await calls.caller("4", number)
    try:
        steps = await until(lambda: _with(steps_of(controller, number), "surge"), 60, "the surge step")
    finally:
        await hangup_callers(controller, number)
    branch = next(s for s in steps if s.kind == "branch")
    surge = next(s for s in steps if s.kind == "surge")
    assert surge.value == "violations"
    assert (surge.at - branch.at).total_seconds() >= 0.9 * surge_prompt_s, (branch, surge)
    # Another branch's callers hear nothing of it: no surge step for a cdc caller.
    other = f"0977{next(_numbers):06d}"
    await calls.caller("2", other)
    try:
        await until(lambda: _with(steps_of(controller, other), "branch"), 60, "the cdc caller's branch step")
        waited = await until(lambda: controller.tracker.calls and next(
            (c for c in controller.tracker.calls.values() if c.record.caller_number == other
             and c.queue_joined_at is not None), None), 30, "the cdc caller in the queue")
        assert "surge" not in [s.kind for s in waited.record.ivr_path]
    finally:
        await hangup_callers(controller, other)


async def test_the_switch_is_written_into_asterisk_again_after_a_reconnect(controller, console):
    status, _ = await console.call("POST", "/api/v1/surge", SUPERVISOR, json={"enabled": True, "branch": 3})
    assert status == 200
    # Asterisk's copy goes stale (as after an Asterisk restart, or a change while it was away).
    await controller.ami.send("DBPut", Family="surge", Key="all", Val="1")
    await controller.ami.send("DBPut", Family="surge", Key="doctors", Val="0")
    before = controller.ami.connections
    await controller.ami.stop()
    controller.surge.mirrored.clear()       # what the controller has told Asterisk since: nothing yet
    await controller.ami.start()
    await controller.ami.wait_connected(15)
    assert controller.ami.connections == before + 1
    await until(lambda: controller.surge.mirrored.get("doctors") is True and controller.surge.mirrored.get("all")
                is False, 15, "the surge state mirrored after the reconnect")
    assert (await astdb(controller, "all"), await astdb(controller, "doctors")) == ("0", "1")


async def test_bad_input_and_agents_are_refused_and_change_nothing(controller, calls, console):
    pool = calls.pool
    before = await pool.fetchval("SELECT count(*) FROM surge_switches")
    for as_ext, kwargs, status, error in (
            (AGENT, {"json": {"enabled": True}}, 403, "only supervisors and admins"),
            (SUPERVISOR, {"json": {"enabled": "yes"}}, 422, "enabled must be true or false"),
            (SUPERVISOR, {"json": {"enabled": True, "branch": 1}}, 422, "branch must be one of 2, 3, 4"),
            (SUPERVISOR, {"json": {"enabled": True, "branch": True}}, 422, "branch must be one of"),
            (SUPERVISOR, {"json": {"enabled": True, "message": "x" * 501}}, 400, "at most 500"),
            (SUPERVISOR, {"json": [True]}, 400, "body must be a JSON object"),
            (SUPERVISOR, {"data": b"{", "headers": {"Content-Type": "application/json"}}, 400, "JSON object"),
    ):
        got, body = await console.call("POST", "/api/v1/surge", as_ext, **kwargs)
        assert (got, error in body.get("error", "")) == (status, True), (kwargs, body)
    assert await pool.fetchval("SELECT count(*) FROM surge_switches") == before
    assert await astdb(controller, "all") == "0"


def _with(steps: list, kind: str) -> list | None:
    return steps if any(s.kind == kind for s in steps) else None
