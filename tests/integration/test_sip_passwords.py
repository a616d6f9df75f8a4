"""Demo credentials only with IVR_DEMO, and `python -m ivr passwords` (issue 17, item 2), on a fresh database
of the session's PostgreSQL (the shared one keeps its demo passwords for the other tests)."""
from __future__ import annotations

import secrets

import asyncpg
import pytest

from db.demo import DemoRefused, load_demo_data, read_demo_data, refuse_demo_passwords
from db.migrate import migrate
from ivr.passwords import PASSWORD_CHARS, rotate_sip_passwords

pytestmark = pytest.mark.integration


@pytest.fixture
async def fresh_pool(pg_cluster):
    name = f"ivr1022_passwords_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    pool = await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=2)
    async with pool.acquire() as con:
        await migrate(con)
    yield pool
    await pool.close()


async def test_demo_people_need_the_demo_flag(fresh_pool, monkeypatch):
    monkeypatch.setenv("IVR_DEMO", "0")
    with pytest.raises(DemoRefused, match="IVR_DEMO=1"):
        await load_demo_data(fresh_pool)
    assert await fresh_pool.fetchval("SELECT count(*) FROM agents") == 0   # nothing loaded


async def test_generated_passwords_replace_the_public_ones(fresh_pool, monkeypatch):
    monkeypatch.setenv("IVR_DEMO", "1")
    await load_demo_data(fresh_pool)
    monkeypatch.setenv("IVR_DEMO", "0")
    with pytest.raises(DemoRefused, match="python -m ivr passwords"):
        await refuse_demo_passwords(fresh_pool)   # what a start without IVR_DEMO does

    passwords = await rotate_sip_passwords(fresh_pool)
    public = {p.ext: p.sip_password for p in read_demo_data()}
    assert set(passwords) == set(public)
    assert all(len(pw) == PASSWORD_CHARS and pw != public[ext] for ext, pw in passwords.items())
    assert len(set(passwords.values())) == len(passwords)
    stored = dict(await fresh_pool.fetch("SELECT ext, sip_password FROM agents"))
    assert stored == passwords
    await refuse_demo_passwords(fresh_pool)   # no longer refused
