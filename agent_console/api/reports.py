"""GET /api/v1/reports/summary: the published figures by day and branch (JSON, or CSV with format=csv).

`from` and `to` are local dates in the hotline's time zone (ConsoleConfig.timezone, IVR_TIMEZONE), both inclusive: the range is
[from 00:00, to + 1 day 00:00) local time. Optional `short_abandon_s` (default: the controller's
IVR_SHORT_ABANDON) and `service_level_s` (default 20, as on the wallboard): whole seconds 0-600.
Supervisors and admins only. One report is computed at a time (REPORT_SLOT): a year of calls keeps
a PostgreSQL backend busy for seconds, and two at once would take both cores from the calls; a
request that cannot start within ConsoleConfig.report_wait_s gets 503.
"""
from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from agent_console.api.wallboard import SERVICE_LEVEL_S
from agent_console.errors import ApiError
from agent_console.keys import CONFIG, REPORT_SLOT, pool_of, principal_of
from db.followups import followup_report
from db.reports import csv_rows, rows_to_csv, summary, survey_agents_csv
from db.reports_intraday import SLOT_MINUTES, intraday

routes = web.RouteTableDef()
MAX_RANGE_DAYS = 366
MAX_THRESHOLD_S = 600
_WHOLE_SECONDS = re.compile(r"^[0-9]{1,3}$")
FORMATS = ("json", "csv")
CSV_TABLES = ("day_branch", "survey_agents")   # format=csv: the day x branch rows, or the survey per agent
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # date.fromisoformat also takes 20210901


@routes.get("/api/v1/reports/summary", name="reports_summary")
async def summary_report(request: web.Request) -> web.Response:
    if not principal_of(request).sees_all_calls:
        raise ApiError(403, "reports are for supervisors and admins")
    first, last = parse_range(request.query.get("from"), request.query.get("to"))
    output = request.query.get("format") or "json"
    if output not in FORMATS:
        raise ApiError(400, "format must be json or csv")
    table = request.query.get("table") or "day_branch"
    if table not in CSV_TABLES:
        raise ApiError(400, "table must be day_branch or survey_agents")
    short_abandon_s = seconds(request.query.get("short_abandon_s"), "short_abandon_s",
                              request.app[CONFIG].short_abandon_s)
    service_level_s = seconds(request.query.get("service_level_s"), "service_level_s", SERVICE_LEVEL_S)
    tz = request.app[CONFIG].timezone
    start, end = local_bounds(first, last, tz)
    slot = request.app[REPORT_SLOT]
    try:
        await asyncio.wait_for(slot.acquire(), request.app[CONFIG].report_wait_s)
    except asyncio.TimeoutError:
        raise ApiError(503, "another report is being computed; try again in a moment") from None
    try:
        report = await summary(pool_of(request), start=start, end=end, tz=tz,
                               short_abandon_s=short_abandon_s, service_level_s=service_level_s)
        report["followups"] = await followup_report(pool_of(request), start, end)
    finally:
        slot.release()
    if output == "csv":
        name = "summary" if table == "day_branch" else "survey-agents"
        filename = f"1022-{name}-{first.isoformat()}-{last.isoformat()}.csv"
        text = rows_to_csv(csv_rows(report)) if table == "day_branch" else survey_agents_csv(report)
        return web.Response(text=text, content_type="text/csv",
                            charset="utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return web.json_response(report)


@routes.get("/api/v1/reports/intraday", name="reports_intraday")
async def intraday_report(request: web.Request) -> web.Response:
    """One hotline day per hour (slot_min=60, the default) or per 15 minutes (slot_min=15)."""
    if not principal_of(request).sees_all_calls:
        raise ApiError(403, "reports are for supervisors and admins")
    day = _date("day", request.query.get("day"))
    raw_slot = request.query.get("slot_min") or "60"
    if raw_slot not in {str(m) for m in SLOT_MINUTES}:
        raise ApiError(400, "slot_min must be 60 or 15")
    config = request.app[CONFIG]
    figures = await intraday(
        pool_of(request), day=day, tz=config.timezone, slot_min=int(raw_slot),
        short_abandon_s=seconds(request.query.get("short_abandon_s"), "short_abandon_s", config.short_abandon_s),
        service_level_s=seconds(request.query.get("service_level_s"), "service_level_s", SERVICE_LEVEL_S))
    return web.json_response(figures)


def parse_range(raw_from: str | None, raw_to: str | None) -> tuple[date, date]:
    """Both dates required, YYYY-MM-DD, from <= to, at most MAX_RANGE_DAYS days (to inclusive)."""
    first, last = _date("from", raw_from), _date("to", raw_to)
    if last == date.max:
        raise ApiError(400, "to is out of range")
    if first > last:
        raise ApiError(400, "from must be on or before to")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ApiError(400, f"to: the range may cover at most {MAX_RANGE_DAYS} days")
    return first, last


def seconds(raw: str | None, name: str, default: int) -> int:
    """A threshold in whole seconds, 0..MAX_THRESHOLD_S; `default` when absent."""
    if raw is None or raw == "":
        return default
    if not _WHOLE_SECONDS.match(raw) or int(raw) > MAX_THRESHOLD_S:
        raise ApiError(400, f"{name} must be whole seconds between 0 and {MAX_THRESHOLD_S}")
    return int(raw)


def _date(name: str, raw: str | None) -> date:
    if not raw:
        raise ApiError(400, f"{name} is required (YYYY-MM-DD)")
    try:
        if not _ISO_DATE.match(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a date as YYYY-MM-DD") from None


def local_bounds(first: date, last: date, tz: str) -> tuple[datetime, datetime]:
    """[first 00:00, last + 1 day 00:00) in tz, as aware datetimes."""
    zone = ZoneInfo(tz)
    return (datetime.combine(first, time(), zone), datetime.combine(last + timedelta(days=1), time(), zone))
