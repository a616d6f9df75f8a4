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


# -- per account across addresses, per address across accounts (issue 17) ------------------

def test_the_account_delay_grows_with_each_failure_up_to_the_window():
    limiter = LoginLimiter(limit=5, window_s=300, first_delay_s=30)
    assert [limiter.account_delay_s(n) for n in (4, 5, 6, 7, 8, 9, 20)] == [0, 30, 60, 120, 240, 300, 300]


async def test_a_strangers_failures_delay_guesses_but_not_the_owner_from_a_clean_address(db_pool):
    limiter = LoginLimiter(limit=5, window_s=300)
    account = key()[0]
    stranger, owner = (account, "10.9.0.1"), (account, "10.9.0.2")
    for _ in range(5):
        await limiter.failed(db_pool, stranger)
    assert 25 <= await limiter.blocked(db_pool, stranger) <= 30
    assert await limiter.blocked(db_pool, owner) == 0          # the owner's password is still checked
    await limiter.failed(db_pool, (account, "10.9.0.3"))        # a second stranger's address fails once…
    assert 55 <= await limiter.blocked(db_pool, (account, "10.9.0.3")) <= 60   # …and waits, longer now


async def test_one_address_spraying_passwords_over_accounts_is_limited_unknown_names_included(db_pool):
    limiter, address = LoginLimiter(limit=5, window_s=300, address_limit=3), "10.9.1.1"
    for name in ("no-such-1", "no-such-2", "1001"):
        assert await limiter.blocked(db_pool, (name + uuid.uuid4().hex[:4], address)) == 0
        await limiter.failed(db_pool, (name + uuid.uuid4().hex[:4], address))
    assert await limiter.blocked(db_pool, (key()[0], address)) == 300
    assert await limiter.blocked(db_pool, (key()[0], "10.9.1.2")) == 0
