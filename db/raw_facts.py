"""Queries over Asterisk's own raw facts (cel, queue_log), for reconciling call records."""
from __future__ import annotations

import json
from datetime import datetime

import asyncpg

# Calls Asterisk has finished (LINKEDID_END) whose record is missing or has no outcome. A supervisor's
# listening call (Linkedid 'listen-…', ivr.constants.LISTEN_ID_PREFIX) is never a call record: left out;
# nor is a call from the worklist (Linkedid 'followup-…', FOLLOWUP_ID_PREFIX).
_ENDED_UNRECORDED = """
SELECT DISTINCT c.linkedid
  FROM cel c
 WHERE c.eventtype = 'LINKEDID_END' AND c.eventtime > now() - make_interval(hours => $1)
   AND c.linkedid NOT LIKE 'listen-%'
   AND c.linkedid NOT LIKE 'cb-%'
   AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.linkedid = c.linkedid AND k.outcome IS NOT NULL)
   AND c.linkedid NOT LIKE 'followup-%'
 LIMIT $2
"""

_CEL_OF = """
SELECT id, eventtype, eventtime, userdeftype, cid_name, cid_num, channame, uniqueid, linkedid, extra
  FROM cel WHERE linkedid = ANY($1::text[]) ORDER BY id
"""

_QUEUE_LOG_OF = """
SELECT id, time, callid, queuename, agent, event, data, data1, data2, data3, data4, data5
  FROM queue_log WHERE callid = ANY($1::text[]) ORDER BY id
"""


async def ended_unrecorded_calls(pool: asyncpg.Pool, *, hours: int = 48, limit: int = 1000) -> list[str]:
    return [r["linkedid"] for r in await pool.fetch(_ENDED_UNRECORDED, hours, limit)]


async def facts_of(pool: asyncpg.Pool, linkedids: list[str]) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """CEL rows of these calls, and the queue_log rows of their channels."""
    cel = await pool.fetch(_CEL_OF, linkedids)
    uniqueids = sorted({r["uniqueid"] for r in cel})
    queue_log = await pool.fetch(_QUEUE_LOG_OF, uniqueids) if uniqueids else []
    return cel, queue_log


# -- loading the local raw files back (ivr/calls/raw_load.py, migration 023) --------------------------

_CEL_TYPES = ", ".join(f"{c} {'integer' if c == 'amaflags' else 'timestamptz' if c == 'eventtime' else 'text'}"
                       for c in ("eventtype", "eventtime", "userdeftype", "cid_name", "cid_num", "cid_ani",
                                 "cid_rdnis", "cid_dnid", "exten", "context", "channame", "appname", "appdata",
                                 "amaflags", "accountcode", "peeraccount", "uniqueid", "linkedid", "userfield",
                                 "peer", "extra"))
_CEL_NAMES = ", ".join(part.split()[0] for part in _CEL_TYPES.split(", "))

_LOAD_CEL = f"""
WITH inserted AS (
    INSERT INTO cel ({_CEL_NAMES})
    SELECT {_CEL_NAMES} FROM jsonb_to_recordset($1::jsonb) AS r({_CEL_TYPES})
    ON CONFLICT DO NOTHING
    RETURNING 1)
SELECT count(*) FROM inserted
"""

# A file line whose twin realtime wrote (its time has microseconds, the file's whole seconds, read
# from two clocks a moment apart) is skipped; the unique key makes a second load a no-op.
_LOAD_QUEUE_LOG = """
WITH inserted AS (
    INSERT INTO queue_log (time, callid, queuename, agent, event, data, data1, data2, data3, data4, data5)
    SELECT r.time, r.callid, r.queuename, r.agent, r.event, r.data, r.data1, r.data2, r.data3, r.data4, r.data5
      FROM jsonb_to_recordset($1::jsonb) AS r(time timestamptz, callid text, queuename text, agent text,
                                               event text, data text, data1 text, data2 text, data3 text,
                                               data4 text, data5 text)
     WHERE NOT EXISTS (
        SELECT 1 FROM queue_log q
         WHERE q.callid = r.callid AND q.event = r.event AND q.queuename = r.queuename AND q.agent = r.agent
           AND q.data1 = r.data1 AND q.data2 = r.data2 AND q.data3 = r.data3 AND q.data4 = r.data4
           AND q.data5 = r.data5 AND q.time > r.time - interval '2 seconds' AND q.time < r.time + interval '2 seconds')
    ON CONFLICT DO NOTHING
    RETURNING 1)
SELECT count(*) FROM inserted
"""

_LOADERS = {"cel": _LOAD_CEL, "queue_log": _LOAD_QUEUE_LOG}

_OFFSET_OF = 'SELECT inode, "offset" FROM raw_file_offsets WHERE name = $1'

_SAVE_OFFSET = """
INSERT INTO raw_file_offsets (name, inode, "offset") VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET inode = EXCLUDED.inode, "offset" = EXCLUDED."offset", loaded_at = now()
"""


async def loaded_offset(pool: asyncpg.Pool, name: str) -> tuple[int, int] | None:
    """(inode, byte offset) up to which the raw file `name` ('cel' or 'queue_log') was loaded."""
    row = await pool.fetchrow(_OFFSET_OF, name)
    return (row["inode"], row["offset"]) if row else None


async def load_raw_rows(pool: asyncpg.Pool, name: str, rows: list[dict], inode: int, offset: int) -> int:
    """Insert the rows that are not in the table yet and remember the offset, in one transaction.
    Returns how many rows were added."""
    payload = json.dumps(rows, default=_iso)
    async with pool.acquire() as con, con.transaction():
        added = await con.fetchval(_LOADERS[name], payload) if rows else 0
        await con.execute(_SAVE_OFFSET, name, inode, offset)
    return added


async def forget_offsets(pool: asyncpg.Pool) -> None:
    """The next load reads the raw files from their start (the unique keys keep it a no-op)."""
    await pool.execute("DELETE FROM raw_file_offsets")


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)
