"""The failed sign-in limit on a real PostgreSQL (db/sign_in_failures.py, LoginLimiter): counted per
(extension, address) in the window, kept across a restart, forgotten after a success."""
from __future__ import annotations

import uuid

import pytest

from agent_console.web.sign_in_limit import LoginLimiter

pytestmark = pytest.mark.integration


def key() -> tuple[str, str]:
    return f"9{uuid.uuid4().int % 10**6:06d}", "127.0.0.9"


async def test_five_failures_block_that_key_only_and_survive_a_restart(db_pool):
    limiter, mine, other = LoginLimiter(limit=5, window_s=300), key(), key()
    for _ in range(5):
        assert not await limiter.blocked(db_pool, mine)
        await limiter.failed(db_pool, mine)
    assert await limiter.blocked(db_pool, mine)
    assert not await limiter.blocked(db_pool, other)
    assert not await limiter.blocked(db_pool, (mine[0], "127.0.0.10"))     # same ext, other address
    assert await LoginLimiter(limit=5, window_s=300).blocked(db_pool, mine)  # a new process: still blocked


async def test_failures_that_left_the_window_do_not_count_and_are_pruned(db_pool):
    limiter, mine = LoginLimiter(limit=2, window_s=300), key()
    await db_pool.execute("INSERT INTO sign_in_failures (ext, remote_addr, at) "
                          "SELECT $1, $2, now() - interval '301 s' FROM generate_series(1, 3)", *mine)
    assert not await limiter.blocked(db_pool, mine)
    await limiter.failed(db_pool, mine)
    assert await db_pool.fetchval("SELECT count(*) FROM sign_in_failures WHERE ext = $1", mine[0]) == 1
    assert not await limiter.blocked(db_pool, mine)
    await limiter.failed(db_pool, mine)
    assert await limiter.blocked(db_pool, mine)


async def test_a_success_forgets_the_failures(db_pool):
    limiter, mine = LoginLimiter(limit=2, window_s=300), key()
    await limiter.failed(db_pool, mine)
    await limiter.succeeded(db_pool, mine)
    await limiter.failed(db_pool, mine)
    assert not await limiter.blocked(db_pool, mine)


@pytest.mark.parametrize("typed", ["<script>alert(1)</script>", "1001'; DROP TABLE agents; --", "10\x0001", "\ud800"])
async def test_hostile_names_are_counted_as_text(db_pool, typed):
    limiter, mine = LoginLimiter(limit=1, window_s=300), (typed + uuid.uuid4().hex[:6], "127.0.0.9")
    await limiter.failed(db_pool, mine)
    assert await limiter.blocked(db_pool, mine)
    assert await db_pool.fetchval("SELECT to_regclass('agents') IS NOT NULL")     # data, never SQL
