"""The figures the city publishes (received, resolved, forwarded, success rate) by day and by
branch, and the contact-center measures (service level, ASA, AHT, occupancy, pauses).

Everything is computed by PostgreSQL (db/reports_sql.py) in one read-only, repeatable-read
transaction, so the figures of one report agree with each other. docs/metrics.md defines
each measure. The range is [start, end); days are local dates in `tz`.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg

from db.reports_sql import AGENTS_SQL, CONTACTS_SQL
from db.serialize import json_value

HOTLINE_TZ = "Asia/Ho_Chi_Minh"
NO_BRANCH = 0  # the SQL's stand-in for a NULL branch

# The measures of every row (by day, by branch, day x branch, totals), in CSV column order.
MEASURES = ("received", "calls", "other_channels", "answered", "transferred_115", "resolved", "forwarded",
            "abandoned", "short_abandoned", "abandoned_ivr", "left_message", "failed", "unfinished",
            "succeeded", "success_rate", "service_level", "asa_s", "aht_s")
CSV_COLUMNS = ("day", "branch", *MEASURES, "forwarded_by_agency")


# For this transaction only. JIT compiling costs more than it saves on sub-second queries; a
# larger work_mem keeps the per-call wrap-up hash in memory; one backend, no parallel workers,
# so a supervisor's report never takes every core from the call handling on the same machine.
_REPORT_SETTINGS = "SET LOCAL jit = off; SET LOCAL work_mem = '32MB'; SET LOCAL max_parallel_workers_per_gather = 0"


def check_range(start: datetime, end: datetime, tz: str) -> tuple[datetime, datetime]:
    """Aware UTC bounds (naive means UTC, as in db/calls.py); ValueError for an empty range or bad zone."""
    start, end = _utc(start), _utc(end)
    if not start < end:
        raise ValueError("start must be before end")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}") from None
    return start, end


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


async def summary(pool: asyncpg.Pool, *, start: datetime, end: datetime, tz: str = HOTLINE_TZ,
                  short_abandon_s: float = 5, service_level_s: float = 20) -> dict[str, Any]:
    """range, totals, by_day, by_branch, by_day_branch, agents, agents_total, pauses (JSON-safe)."""
    start, end = check_range(start, end, tz)
    thresholds = (Decimal(str(short_abandon_s)), Decimal(str(service_level_s)))
    async with pool.acquire() as con, con.transaction(isolation="repeatable_read", readonly=True):
        await con.execute(_REPORT_SETTINGS)
        contact_rows = await con.fetch(CONTACTS_SQL, start, end, tz, *thresholds)
        agent_rows = await con.fetch(AGENTS_SQL, start, end)
    report = {"range": {"start": start.isoformat(), "end": end.isoformat(), "tz": tz,
                        "short_abandon_s": short_abandon_s, "service_level_s": service_level_s}}
    report.update(shape_contacts(contact_rows))
    report.update(shape_agents(agent_rows))
    return report


def shape_contacts(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Sort the grouping-set rows into totals, by_day, by_branch and by_day_branch."""
    shaped: dict[str, Any] = {"totals": {}, "by_day": [], "by_branch": [], "by_day_branch": []}
    for row in rows:
        measures = _measures(row)
        if row["all_days"] and row["all_branches"]:
            shaped["totals"] = measures
        elif row["all_branches"]:
            shaped["by_day"].append({"day": json_value(row["day"]), **measures})
        elif row["all_days"]:
            shaped["by_branch"].append({"branch": _branch(row["branch"]), **measures})
        else:
            shaped["by_day_branch"].append({"day": json_value(row["day"]), "branch": _branch(row["branch"]),
                                            **measures})
    return shaped


def _measures(row: Mapping[str, Any]) -> dict[str, Any]:
    measures = {name: json_value(row[name]) for name in MEASURES}
    measures["forwarded_by_agency"] = _json(row["forwarded_by_agency"])
    return measures


def _branch(value: int) -> int | None:
    return None if value == NO_BRANCH else value


def shape_agents(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Per-agent rows (with their pauses per reason) and the overall row, into agents and pauses."""
    agents = [_without(row, "all_agents", "pauses") for row in rows if not row["all_agents"]]
    overall = next((row for row in rows if row["all_agents"]), None)
    by_agent = [{"ext": row["ext"], **pause} for row in rows if not row["all_agents"] for pause in _json(row["pauses"])]
    return {
        "agents": agents,
        "agents_total": None if overall is None else _without(overall, "all_agents", "ext", "pauses"),
        "pauses": {"by_agent": by_agent, "by_reason": [] if overall is None else _json(overall["pauses"])},
    }


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _without(row: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {key: json_value(value) for key, value in row.items() if key not in names}


async def summary_csv(pool: asyncpg.Pool, *, start: datetime, end: datetime, tz: str = HOTLINE_TZ,
                      short_abandon_s: float = 5, service_level_s: float = 20) -> str:
    """One row per local day x branch (branch empty = no branch chosen), every measure; header first."""
    report = await summary(pool, start=start, end=end, tz=tz, short_abandon_s=short_abandon_s,
                           service_level_s=service_level_s)
    return rows_to_csv(report["by_day_branch"])


def rows_to_csv(rows: list[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(name, row[name]) for name in CSV_COLUMNS])
    return out.getvalue()


def _csv_cell(name: str, value: Any) -> str:
    if name == "forwarded_by_agency":
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)
