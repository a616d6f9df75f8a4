"""The reports' "received" split by channel (issue 14; docs/metrics.md): phone, web, sms.

received = calls + tickets opened without a call (db/reports_sql.py); this splits the tickets by
their channel, so phone = calls + phone tickets without a call (an agent's ticket), web = portal
requests, sms = SMS requests, and phone + web + sms = received in every row. Tickets are few: the
query reads them directly (tickets_other_channels_idx), with or without the roll-up.
$1 start, $2 end, $3 the time zone (as CONTACTS_SQL)."""
from __future__ import annotations

from typing import Any, Mapping

import asyncpg

from db.serialize import json_value

CHANNELS = ("phone", "web", "sms")

TICKET_CHANNELS_SQL = """
SELECT day, branch, GROUPING(day) AS all_days, GROUPING(branch) AS all_branches,
       count(*) FILTER (WHERE channel = 'phone') AS phone_tickets,
       count(*) FILTER (WHERE channel = 'web') AS web,
       count(*) FILTER (WHERE channel = 'sms') AS sms
FROM (SELECT (created_at AT TIME ZONE $3)::date AS day, COALESCE(branch, 0)::int AS branch, channel
      FROM tickets WHERE linkedid IS NULL AND created_at >= $1 AND created_at < $2) t
GROUP BY GROUPING SETS ((day, branch), (day), (branch), ())
"""


async def ticket_channels(con: asyncpg.Connection, start: Any, end: Any, tz: str) -> list[asyncpg.Record]:
    return await con.fetch(TICKET_CHANNELS_SQL, start, end, tz)


def add_channels(report: dict[str, Any], rows: list[Mapping[str, Any]], no_branch: int = 0) -> None:
    """Each row of totals, by_day, by_branch and by_day_branch gets by_channel {phone, web, sms}."""
    def key(day: Any, branch: Any) -> tuple[Any, Any]:
        return (day, None if branch == no_branch else branch)
    counts = {(bool(r["all_days"]), bool(r["all_branches"]),
               *key(json_value(r["day"]) if not r["all_days"] else None,
                    r["branch"] if not r["all_branches"] else None)): r for r in rows}

    def split(row: dict[str, Any], all_days: bool, all_branches: bool) -> None:
        found = counts.get((all_days, all_branches, row.get("day"), row.get("branch")))
        web, sms, phone_tickets = ((found["web"], found["sms"], found["phone_tickets"]) if found else (0, 0, 0))
        row["by_channel"] = {"phone": row["calls"] + phone_tickets, "web": web, "sms": sms}

    split(report["totals"], True, True)
    for row in report["by_day"]:
        split(row, False, True)
    for row in report["by_branch"]:
        split(row, True, False)
    for row in report["by_day_branch"]:
        split(row, False, False)
