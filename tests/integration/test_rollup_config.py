"""The report roll-up counts at the hotline's own zone and short-abandon threshold: `ensure_config`
rebuilds it when they differ (and only then), and the controller runs it at start-up
(ivr/app.py `_configure_rollup`), so IVR_TIMEZONE / IVR_SHORT_ABANDON reports come from the roll-up."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from agent_console.api.wallboard import SERVICE_LEVEL_S
from db.migrate import migrate
from db.report_rollup import RollupConfig, current_config, ensure_config
from db.reports import summary, uses_rollup
from tests.bench.dataset import expected_contacts, generate, load

pytestmark = pytest.mark.integration

ZONE = "Europe/Paris"          # not the roll-up's default zone: other local midnights
START = datetime(2021, 9, 1, tzinfo=ZoneInfo(ZONE))
END = datetime(2021, 9, 4, tzinfo=ZoneInfo(ZONE))


async def test_another_zone_and_threshold_rebuild_the_rollup_once(pg_cluster):
    name = f"ivr1022_rollup_cfg_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    pool = await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=2)
    try:
        await migrate(pool)
        data = generate(600, START - timedelta(hours=6), END + timedelta(hours=6), seed=6)
        async with pool.acquire() as con:
            await load(con, data)
            await con.execute("SELECT report_rollup_rebuild()")
        wanted = RollupConfig.of(ZONE, 2, 20)
        thresholds = (Decimal(2), Decimal(20))
        async with pool.acquire() as con:
            assert not await uses_rollup(con, start=START, end=END, tz=ZONE, thresholds=thresholds)

        old = await ensure_config(pool, wanted)

        assert old == RollupConfig.of("Asia/Ho_Chi_Minh", 5, 20)
        assert await current_config(pool) == wanted
        async with pool.acquire() as con:
            assert await uses_rollup(con, start=START, end=END, tz=ZONE, thresholds=thresholds)
        rolled = await summary(pool, start=START, end=END, tz=ZONE, short_abandon_s=2, service_level_s=20)
        raw = await summary(pool, start=START, end=END, tz=ZONE, short_abandon_s=2, service_level_s=20,
                            rollup=False)
        want = expected_contacts(data, START, END, ZONE, short_abandon_s=2, service_level_s=20)
        for section in ("totals", "by_day", "by_branch", "by_day_branch"):
            assert rolled[section] == want[section] == raw[section], section
        assert rolled["totals"]["short_abandoned"] > 0
        assert await ensure_config(pool, RollupConfig.of(ZONE, 2.0, 20)) is None   # the same: nothing rebuilt
    finally:
        await pool.close()


async def test_the_controller_configures_it_at_start_up(controller, db_pool):
    settings = controller.settings
    assert settings.short_abandon_s != 5          # the test controller's threshold is not the default
    assert await current_config(db_pool) == RollupConfig.of(settings.timezone, settings.short_abandon_s,
                                                           SERVICE_LEVEL_S)
