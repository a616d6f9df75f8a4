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
from datetime import datetime, time, timezone
from decimal import Decimal
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg

from db.report_channels import add_channels, ticket_channels
from db.reports_caller_sql import SURVEY_SQL, TIME_TO_115_SQL
from db.reports_sql import AGENTS_ROLLUP_SQL, AGENTS_SQL, CONTACTS_ROLLUP_SQL, CONTACTS_SQL
from db.serialize import json_value

HOTLINE_TZ = "Asia/Ho_Chi_Minh"
NO_BRANCH = 0  # the SQL's stand-in for a NULL branch

# The measures of every row (by day, by branch, day x branch, totals), in CSV column order.
MEASURES = ("received", "calls", "other_channels", "answered", "transferred_115", "resolved", "forwarded",
            "abandoned", "short_abandoned", "abandoned_ivr", "left_message", "failed", "unfinished",
            "succeeded", "success_rate", "service_level", "asa_s", "aht_s")
# Issue 12: time to 115 (branch 1 rows only; empty elsewhere) and the survey, per day x branch.
TIME_TO_115_MEASURES = ("dials", "answered", "fell_back", "caller_hung_up", "dial_p50_s", "dial_p90_s",
                        "answer_p50_s", "answer_p90_s", "answered_10s_share")
SURVEY_MEASURES = ("asked", "answered", "average", "answer_rate")
CALLER_MINUTE_COLUMNS = (*(f"emergency_{name}" for name in TIME_TO_115_MEASURES),
                         *(f"survey_{name}" for name in SURVEY_MEASURES))
CSV_COLUMNS = ("day", "branch", *MEASURES, "forwarded_by_agency", *CALLER_MINUTE_COLUMNS)
SURVEY_AGENT_CSV_COLUMNS = ("agent", *(f"survey_{name}" for name in SURVEY_MEASURES))


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
                  short_abandon_s: float = 5, service_level_s: float = 20, rollup: bool = True) -> dict[str, Any]:
    """range, totals, by_day, by_branch, by_day_branch, agents, agents_total, pauses (JSON-safe).

    rollup=False always runs the raw query (the roll-up's tests and the bench compare the two)."""
    start, end = check_range(start, end, tz)
    thresholds = (Decimal(str(short_abandon_s)), Decimal(str(service_level_s)))
    async with pool.acquire() as con, con.transaction(isolation="repeatable_read", readonly=True):
        await con.execute(_REPORT_SETTINGS)
        if rollup and await uses_rollup(con, start=start, end=end, tz=tz, thresholds=thresholds):
            contact_rows = await con.fetch(CONTACTS_ROLLUP_SQL, start, end, tz)
            agent_rows = await con.fetch(AGENTS_ROLLUP_SQL, start, end, tz)
        else:
            contact_rows = await con.fetch(CONTACTS_SQL, start, end, tz, *thresholds)
            agent_rows = await con.fetch(AGENTS_SQL, start, end)
        dial_rows = await con.fetch(TIME_TO_115_SQL, start, end, tz)
        survey_rows = await con.fetch(SURVEY_SQL, start, end, tz)
        channel_rows = await ticket_channels(con, start, end, tz)
    report = {"range": {"start": start.isoformat(), "end": end.isoformat(), "tz": tz,
                        "short_abandon_s": short_abandon_s, "service_level_s": service_level_s}}
    report.update(shape_contacts(contact_rows))
    add_channels(report, channel_rows, NO_BRANCH)
    report.update(shape_agents(agent_rows))
    report["time_to_115"] = shape_time_to_115(dial_rows)
    report["survey"] = shape_survey(survey_rows)
    return report


async def uses_rollup(con: asyncpg.Connection, *, start: datetime, end: datetime, tz: str,
                      thresholds: tuple[Decimal, Decimal]) -> bool:
    """Whether the per-day roll-up (migration 015) gives this report: same zone and thresholds as
    the roll-up's, and both bounds local midnights there. Otherwise the raw query runs."""
    row = await con.fetchrow("SELECT tz, short_abandon_s, service_level_s FROM report_rollup_config")
    if row is None or (row["tz"], row["short_abandon_s"], row["service_level_s"]) != (tz, *thresholds):
        return False
    zone = ZoneInfo(tz)
    return all(bound.astimezone(zone).time() == time(0) for bound in (start, end))


def shape_time_to_115(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """totals (always present: zero dials gives counts 0 and null figures) and by_day (days with a dial)."""
    def measures(row: Mapping[str, Any]) -> dict[str, Any]:
        return {name: json_value(row[name]) for name in TIME_TO_115_MEASURES}
    empty = {name: (0 if name in ("dials", "answered", "fell_back", "caller_hung_up") else None)
             for name in TIME_TO_115_MEASURES}
    totals = next((measures(row) for row in rows if row["all_days"]), empty)
    return {"totals": totals,
            "by_day": [{"day": json_value(row["day"]), **measures(row)} for row in rows if not row["all_days"]]}


def shape_survey(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """totals, by_day, by_branch, by_agent, by_day_branch: groups with at least one survey asked."""
    shaped: dict[str, Any] = {"totals": {"asked": 0, "answered": 0, "average": None, "answer_rate": None},
                              "by_day": [], "by_branch": [], "by_agent": [], "by_day_branch": []}
    for row in rows:
        measures = {name: json_value(row[name]) for name in SURVEY_MEASURES}
        day, branch = json_value(row["day"]), _branch(row["branch"]) if row["branch"] is not None else None
        if not row["all_days"] and not row["all_branches"]:
            shaped["by_day_branch"].append({"day": day, "branch": branch, **measures})
        elif not row["all_days"]:
            shaped["by_day"].append({"day": day, **measures})
        elif not row["all_branches"]:
            shaped["by_branch"].append({"branch": branch, **measures})
        elif not row["all_agents"]:
            shaped["by_agent"].append({"agent": row["agent"], **measures})
        else:
            shaped["totals"] = measures
    return shaped


def csv_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """by_day_branch with the day's time to 115 on its branch-1 row and the survey of each day x branch."""
    dials = {row["day"]: row for row in report["time_to_115"]["by_day"]}
    surveys = {(row["day"], row["branch"]): row for row in report["survey"]["by_day_branch"]}
    rows = []
    for row in report["by_day_branch"]:
        extra: dict[str, Any] = {}
        if row["branch"] == 1 and row["day"] in dials:
            extra.update({f"emergency_{name}": dials[row["day"]][name] for name in TIME_TO_115_MEASURES})
        survey = surveys.get((row["day"], row["branch"]))
        if survey is not None:
            extra.update({f"survey_{name}": survey[name] for name in SURVEY_MEASURES})
        rows.append({**row, **extra})
    return rows


def survey_agents_csv(report: Mapping[str, Any]) -> str:
    """The survey per agent (format=csv&table=survey_agents): agent, asked, answered, average, answer rate."""
    rows = [{"agent": row["agent"], **{f"survey_{name}": row[name] for name in SURVEY_MEASURES}}
            for row in report["survey"]["by_agent"]]
    return rows_to_csv(rows, SURVEY_AGENT_CSV_COLUMNS)


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
    return rows_to_csv(csv_rows(report))


def rows_to_csv(rows: list[Mapping[str, Any]], columns: tuple[str, ...] = CSV_COLUMNS) -> str:
    """A missing column (a figure that does not apply to the row) is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(name, row.get(name)) for name in columns])
    return out.getvalue()


def _csv_cell(name: str, value: Any) -> str:
    if name == "forwarded_by_agency":
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)
