"""Asterisk's raw facts also on local disk (issue 17, item 4, first half): every CEL event goes to
<log>/cel-custom/cel.csv (cel_custom) and every queue_log line to <log>/queue_log, besides PostgreSQL, so
a database outage no longer loses them. (Loading the gap back: test_raw_facts_outage.py.)"""
from __future__ import annotations

import csv

import pytest

from tests.waiting import until

pytestmark = pytest.mark.integration


async def test_a_calls_cel_and_queue_log_are_in_the_local_files_too(calls, telephony):
    number = "0987" + str(abs(hash(telephony.log_dir)) % 1000000).zfill(6)
    await calls.set_global("TEST_TALK_S", "1")
    interface = await calls.local_agent("cdc", "1001")
    try:
        await calls.caller("2", number)
        record = await calls.record(number)
    finally:
        await calls.remove_agent("cdc", interface)
    linkedid = record["linkedid"]
    cel_file = telephony.log_dir / "cel-custom" / "cel.csv"

    def cel_rows() -> list[list[str]]:
        if not cel_file.exists():
            return []
        with cel_file.open(newline="") as f:
            return [row for row in csv.reader(f) if len(row) > 17 and row[17] == linkedid]

    files = sorted(p.name for p in telephony.log_dir.rglob("*"))
    rows = await until(lambda: [r for r in cel_rows() if r[0] == "LINKEDID_END"] and cel_rows(), 15,
                       f"the call's CEL rows in cel.csv (log dir: {files}; {telephony.log_tail(15)})")
    in_db = await calls.pool.fetch("SELECT eventtype FROM cel WHERE linkedid = $1", linkedid)
    assert sorted(r[0] for r in rows) == sorted(r["eventtype"] for r in in_db)
    assert any(r[4] == number for r in rows), rows[:3]   # cid_num: the caller

    lines = telephony.queue_log_file.read_text().splitlines()
    mine = [line.split("|") for line in lines if f"|{linkedid}|" in line]
    events = {fields[4] for fields in mine if len(fields) > 4}
    assert {"ENTERQUEUE", "CONNECT"} <= events, mine
    assert await calls.pool.fetchval("SELECT count(*) FROM queue_log WHERE callid = $1", linkedid) == len(mine)
