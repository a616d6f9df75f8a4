"""The per-day roll-up of the summary report (migration 015): repair and configuration.

Triggers keep it exact as rows are written; report_rollup_repair() recomputes given local days
from the raw rows and says how many cells were wrong. The reconciler repairs the days of the
calls it rebuilt (a pass after it handed them to the writer, so they have landed).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import asyncpg


async def rollup_zone(pool: asyncpg.Pool) -> str:
    return await pool.fetchval("SELECT tz FROM report_rollup_config")


async def repair_days(pool: asyncpg.Pool, days: Iterable[date]) -> int:
    """Recompute these local days (runs of consecutive days in one call each); cells that were wrong."""
    wrong = 0
    async with pool.acquire() as con:
        for first, last in _runs(sorted(set(days))):
            async with con.transaction():
                wrong += await con.fetchval("SELECT report_rollup_repair($1, $2)", first, last)
    return wrong


def local_days(moments: Iterable[datetime], tz: str) -> set[date]:
    zone = ZoneInfo(tz)
    return {moment.astimezone(zone).date() for moment in moments}


async def configure(pool: asyncpg.Pool, *, tz: str, short_abandon_s: float, service_level_s: float) -> None:
    """Another zone or other default thresholds: the roll-up is rebuilt from every raw row."""
    async with pool.acquire() as con, con.transaction():
        await con.execute("SELECT report_rollup_configure($1, $2::numeric, $3::numeric)",
                          tz, str(short_abandon_s), str(service_level_s))


def _runs(days: list[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
