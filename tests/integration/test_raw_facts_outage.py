"""Issue 17, item 4: Asterisk's raw facts survive a PostgreSQL outage. While PostgreSQL is stopped
cel_pgsql and realtime queue_log drop their rows ("Calls will not be logged!"); Asterisk's local files
keep them, and the controller's raw-fact loader (ivr/calls/raw_load.py) puts them back when PostgreSQL
returns. The reconciler then rebuilds the same call records from those loaded rows alone."""
from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from ivr.app import Controller
from tests.fixtures.controller import controller_settings
from tests.integration.test_nothing_lost import AGENT, _false, fresh_database, originate_callers, telephony_for
from tests.waiting import until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]
OUTAGE_S = 60
NUMBERS = [f"0966{i:06d}" for i in range(4)]
COMPARED = ("outcome", "branch", "queue", "agent", "caller_number", "hangup_by")
CLOSE = ("started_at", "answered_at", "ended_at")


def file_facts(log_dir: Path, numbers: list[str]) -> tuple[set[tuple], list[list[str]]] | None:
    """The CEL keys (uniqueid, eventtype, eventtime text) and queue_log lines of the callers' calls in
    Asterisk's local files, once every call has its LINKEDID_END there."""
    with (log_dir / "cel-custom" / "cel.csv").open(newline="") as f:
        cel = [row for row in csv.reader(f) if len(row) == 21]
    linkedids = {row[17] for row in cel if row[4] in numbers}
    ended = {row[17] for row in cel if row[0] == "LINKEDID_END" and row[17] in linkedids}
    if len(ended) < len(numbers):
        return None
    keys = {(row[16], row[0], row[1]) for row in cel if row[17] in linkedids}
    lines = [line.split("|") for line in (log_dir / "queue_log").read_text().splitlines()]
    return keys, [fields for fields in lines if len(fields) > 4 and fields[1] in linkedids]


async def fetch(url: str, query: str, *args) -> list[asyncpg.Record]:
    con = await asyncpg.connect(url)
    try:
        return await con.fetch(query, *args)
    finally:
        await con.close()


async def cel_keys(url: str, linkedids: list[str]) -> set[tuple]:
    rows = await fetch(url, "SELECT uniqueid, eventtype, extract(epoch FROM eventtime)::numeric(20, 6)::text AS t"
                            " FROM cel WHERE linkedid = ANY($1::text[])", linkedids)
    return {(r["uniqueid"], r["eventtype"], r["t"]) for r in rows}


async def complete_records(url: str) -> list[asyncpg.Record] | None:
    rows = await fetch(url, "SELECT * FROM calls WHERE caller_number = ANY($1::text[]) AND outcome IS NOT NULL"
                            " ORDER BY caller_number", NUMBERS)
    return rows if len(rows) == len(NUMBERS) else None


async def _superset(found, wanted: set) -> set | None:
    keys = await found
    return keys if keys >= wanted else None


async def metrics_figures(controller: Controller) -> dict[str, float]:
    """/metrics of the controller's console: each sample line's name{labels} → value."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{controller.settings.http_port}/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line and not line.startswith("#")}


async def raw_counts(url: str) -> tuple[int, int]:
    [row] = await fetch(url, "SELECT (SELECT count(*) FROM cel) AS cel, (SELECT count(*) FROM queue_log) AS q")
    return row["cel"], row["q"]


async def test_postgresql_stopped_60_s_the_raw_facts_come_back_and_rebuild_the_same_records(
        asterisk_factory, make_pg_cluster, tmp_path):
    cluster = await make_pg_cluster()
    url = await fresh_database(cluster)
    pbx = await telephony_for(asterisk_factory, url)
    controller = Controller(controller_settings(pbx, url, tmp_path, wrapup_limit_s=2), url,
                            asterisk_log_dir=pbx.log_dir)
    await controller.start()
    loop = asyncio.get_running_loop()
    try:
        ami = controller.ami
        await ami.wait_connected(10)
        await ami.send("Setvar", Variable="TEST_TALK_S", Value="2")
        await controller.agents.login(AGENT, interface=f"Local/{AGENT}@test-agent/n")
        await controller.agent_states.drained(10)
        await cluster.stop()
        stopped_at = loop.time()
        await until(lambda: _false(controller.health.components()["database"]), 10, "health to see the database down")
        await originate_callers(ami, NUMBERS, digit="3")
        # the calls go on and end while PostgreSQL is away; Asterisk's local files get their raw facts
        keys, queue_lines = await until(lambda: asyncio.to_thread(file_facts, pbx.log_dir, NUMBERS),
                                        stopped_at + OUTAGE_S - loop.time(), "the calls to end during the outage")
        linkedids = sorted({fields[1] for fields in queue_lines})
        await asyncio.sleep(max(0.0, stopped_at + OUTAGE_S - loop.time()))   # the scenario: a minute away
        await cluster.start()

        # the loader puts the minute's raw facts back (cel_pgsql and realtime wrote none of them)
        in_db = await until(lambda: _superset(cel_keys(url, linkedids), keys), 60, "the calls' CEL rows loaded")
        assert in_db == keys
        queue_rows = await fetch(url, "SELECT * FROM queue_log WHERE callid = ANY($1::text[])", linkedids)
        assert sorted((r["callid"], r["event"], r["agent"]) for r in queue_rows) == \
            sorted((f[1], f[4], f[3]) for f in queue_lines)
        assert {"ENTERQUEUE", "CONNECT"} <= {r["event"] for r in queue_rows}
        assert controller.raw_loader is not None and controller.raw_loader.loaded["cel"] >= len(keys)
        figures = await metrics_figures(controller)      # what an operator sees of it
        assert figures['ivr_raw_rows_loaded_total{file="cel"}'] == controller.raw_loader.loaded["cel"]

        # the reconciler, from those rows alone, rebuilds the records the live tracker wrote
        live = await until(lambda: complete_records(url), 30, "the live records written")
        await controller.writer.drained(10)
        await fetch(url, "DELETE FROM calls WHERE linkedid = ANY($1::text[])", linkedids)
        rebuilt_before = controller.reconciler.rebuilt
        await controller.reconciler.rebuild_ended_calls()
        rebuilt = await until(lambda: complete_records(url), 30, "the rebuilt records")
        assert controller.reconciler.rebuilt - rebuilt_before >= len(NUMBERS)

        # loading the files again from their first line adds nothing
        before = await raw_counts(url)
        assert await controller.raw_loader.load_from_start() == 0
        assert await raw_counts(url) == before
    finally:
        await controller.stop()
    assert [r["outcome"] for r in live] == ["answered"] * len(NUMBERS)
    for old, new in zip(live, rebuilt):
        assert [old[c] for c in COMPARED] == [new[c] for c in COMPARED], (dict(old), dict(new))
        for column in CLOSE:
            assert abs((old[column] - new[column]).total_seconds()) < 1.5, (column, dict(old), dict(new))
        assert abs(float(old["talk_s"]) - float(new["talk_s"])) < 1.5
