"""The per-day roll-up of the summary report (migration 015): repair and configuration.

Triggers keep it exact as rows are written; report_rollup_repair() recomputes given local days
from the raw rows and says how many cells were wrong. The reconciler repairs the days of the
calls it rebuilt (a pass after it handed them to the writer, so they have landed).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
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


@dataclass(frozen=True)
class RollupConfig:
    """The zone and the thresholds the roll-up's counts were taken at (report_rollup_config)."""

    tz: str
    short_abandon_s: Decimal
    service_level_s: Decimal

    @classmethod
    def of(cls, tz: str, short_abandon_s: float, service_level_s: float) -> RollupConfig:
        return cls(tz, Decimal(str(short_abandon_s)), Decimal(str(service_level_s)))

    def __str__(self) -> str:
        return f"zone {self.tz}, short abandon {self.short_abandon_s} s, service level {self.service_level_s} s"


async def current_config(pool: asyncpg.Pool) -> RollupConfig:
    row = await pool.fetchrow("SELECT tz, short_abandon_s, service_level_s FROM report_rollup_config")
    return RollupConfig(row["tz"], row["short_abandon_s"], row["service_level_s"])


async def ensure_config(pool: asyncpg.Pool, wanted: RollupConfig,
                        rebuild_timeout_s: float = 3600) -> RollupConfig | None:
    """Make the roll-up count at `wanted` (the hotline's settings); the old config when it was rebuilt,
    None when it already matched. The rebuild reads every raw row (140 s for 3 M calls) and holds
    the roll-up's lock meanwhile, so record writers wait: run it before they start."""
    old = await current_config(pool)
    if old == wanted:
        return None
    async with pool.acquire() as con, con.transaction():
        await con.execute("SELECT report_rollup_configure($1, $2::numeric, $3::numeric)",
                          wanted.tz, str(wanted.short_abandon_s), str(wanted.service_level_s),
                          timeout=rebuild_timeout_s)
    return old


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
