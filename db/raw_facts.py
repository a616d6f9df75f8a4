"""Queries over Asterisk's own raw facts (cel, queue_log), for reconciling call records."""
from __future__ import annotations

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
