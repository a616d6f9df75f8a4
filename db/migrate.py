"""Apply db/migrations/NNN_name.sql in order, once each.

Each file runs in its own transaction together with its row in schema_migrations, so a
failed file leaves nothing behind. A session-level advisory lock serialises concurrent
runners (two processes starting at once, parallel tests): the second one waits, then finds
nothing pending. Run it as `python -m db.migrate [DATABASE_URL]`.
"""
from __future__ import annotations

import asyncio
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import asyncpg

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Arbitrary but fixed: every runner of this project's migrations takes the same lock.
ADVISORY_LOCK_KEY = 1022_0000_0001
_FILE_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

Connectable = Union[asyncpg.Connection, asyncpg.Pool]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str        # file name without .sql, e.g. "001_calls"
    sql: str


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; a malformed name or a duplicate version is an error."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name!r} must be named NNN_lowercase_name.sql")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"two migrations share version {version:03d}: {found[version].name}, {path.stem}")
        found[version] = Migration(version, path.stem, path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


async def migrate(con_or_pool: Connectable, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; return the names applied now (empty when up to date)."""
    if isinstance(con_or_pool, asyncpg.Pool):
        async with con_or_pool.acquire() as con:
            return await _migrate(con, directory)
    return await _migrate(con_or_pool, directory)


async def _migrate(con: asyncpg.Connection, directory: Path) -> list[str]:
    migrations = load_migrations(directory)
    await con.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
    try:
        await con.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version    integer PRIMARY KEY,
                   name       text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())""")
        done = {row["version"] for row in await con.fetch("SELECT version FROM schema_migrations")}
        applied: list[str] = []
        for migration in migrations:
            if migration.version in done:
                continue
            async with con.transaction():
                await con.execute(migration.sql)
                await con.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                                  migration.version, migration.name)
            applied.append(migration.name)
        return applied
    finally:
        if not con.is_closed():  # a closed session has released the lock already
            await con.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)


async def _main(dsn: str) -> None:
    con = await asyncpg.connect(dsn)
    try:
        applied = await migrate(con)
    finally:
        await con.close()
    print("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))


if __name__ == "__main__":
    import os

    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DATABASE_URL", "")
    if not url:
        sys.exit("usage: python -m db.migrate DATABASE_URL")
    asyncio.run(_main(url))
