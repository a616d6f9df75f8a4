"""Demo people from db/demo_data.csv (the one documented demo-credentials file).

`read_demo_data()` is pure (the Asterisk side can render PJSIP endpoints from it without a
database); `load_demo_data(pool)` writes it idempotently: a person already present keeps
their password hash (no re-hash, so a changed password survives a reload) but gets the
file's name, role, SIP secret and branches. Run it as `python -m db.demo DATABASE_URL`.

The demo credentials are public: they load only when IVR_DEMO is on (`make` sets IVR_DEMO=1, and so
does the test suite's conftest); elsewhere `load_demo_data` raises DemoRefused. A real deployment
generates the agents' SIP passwords with `python -m ivr passwords` (docs/operations.md#demo-people).
"""
from __future__ import annotations

import asyncio
import csv
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import asyncpg

from db.agents import ROLES, hash_password

Queryable = Union[asyncpg.Pool, asyncpg.Connection]

DEMO_FILE = Path(__file__).with_name("demo_data.csv")
# A few entries of the agency directory (migration 020) for the wrap-up form: name, contact, branches.
DEMO_AGENCIES = (
    ("Sở Y tế Hà Nội", "Văn phòng Sở (demo)", [1, 2, 3]),
    ("CDC Hà Nội", "Phòng chống dịch (demo)", [2, 3]),
    ("Trạm y tế phường Láng Hạ", "Trạm trưởng (demo)", [2, 3]),
    ("UBND phường", "Bộ phận một cửa (demo)", [4]),
    ("Công an phường Dịch Vọng", "Trực ban (demo)", [4]),
)
QUEUE_NAMES = ("cdc", "doctors", "violations", "emergency")
_EXT = re.compile(r"^[0-9]{3,6}$")
_ON = ("1", "on", "yes", "true")


class DemoRefused(RuntimeError):
    """The demo credentials were asked for without IVR_DEMO on."""


def demo_enabled(env: dict[str, str] | None = None) -> bool:
    return (os.environ if env is None else env).get("IVR_DEMO", "").strip().lower() in _ON


@dataclass(frozen=True)
class DemoPerson:
    ext: str
    name: str
    role: str
    console_password: str
    sip_password: str
    branches: tuple[tuple[str, int], ...]   # (queue, penalty)


def read_demo_data(path: Path = DEMO_FILE) -> list[DemoPerson]:
    """Parse and validate the demo file; ValueError names the line of the first problem."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    people: list[DemoPerson] = []
    seen: set[str] = set()
    for number, row in enumerate(csv.DictReader(lines), start=2):
        try:
            person = _person(row)
        except (ValueError, KeyError, AttributeError) as exc:
            raise ValueError(f"{path.name}, data row {number - 1}: {exc}") from None
        if person.ext in seen:
            raise ValueError(f"{path.name}: extension {person.ext} appears twice")
        seen.add(person.ext)
        people.append(person)
    return people


def _person(row: dict[str, str]) -> DemoPerson:
    ext = row["ext"].strip()
    if not _EXT.match(ext):
        raise ValueError(f"ext {ext!r} must be 3 to 6 digits")
    role = row["role"].strip()
    if role not in ROLES:
        raise ValueError(f"role {role!r} not in {ROLES}")
    branches = []
    for item in (row.get("branches") or "").split():
        queue, _, penalty = item.partition(":")
        if queue not in QUEUE_NAMES or not penalty.isdigit():
            raise ValueError(f"branch {item!r} must be queue:penalty with queue in {QUEUE_NAMES}")
        branches.append((queue, int(penalty)))
    name, console_password, sip_password = row["name"].strip(), row["console_password"], row["sip_password"]
    if not name or not console_password or not sip_password:
        raise ValueError("name, console_password and sip_password are required")
    return DemoPerson(ext, name, role, console_password, sip_password, tuple(branches))


async def load_demo_data(pool: Queryable, path: Path = DEMO_FILE) -> int:
    """Write the demo people; return how many were new. Safe to run again (and concurrently).
    Refused (DemoRefused) unless IVR_DEMO is on: the file's passwords are public."""
    if not demo_enabled():
        raise DemoRefused("the demo people (public passwords in db/demo_data.csv) load only with IVR_DEMO=1; "
                          "on a real deployment create the agents and run `python -m ivr passwords`")
    people = read_demo_data(path)
    existing = {row["ext"] for row in await pool.fetch(
        "SELECT ext FROM agents WHERE ext = ANY($1::text[])", [p.ext for p in people])}
    new = [p for p in people if p.ext not in existing]
    # PBKDF2 is CPU-bound and releases the GIL: hash in worker threads, off the event loop.
    hashes = await asyncio.gather(*(asyncio.to_thread(hash_password, p.console_password) for p in new))
    hash_of = {p.ext: h for p, h in zip(new, hashes)}
    if isinstance(pool, asyncpg.Pool):
        async with pool.acquire() as con:
            return await _write(con, people, hash_of)
    return await _write(pool, people, hash_of)


async def refuse_demo_passwords(pool: Queryable, path: Path = DEMO_FILE) -> None:
    """Without IVR_DEMO, an agent whose SIP secret is still the public demo one stops the start (DemoRefused)."""
    public = {p.ext: p.sip_password for p in read_demo_data(path)}
    rows = await pool.fetch("SELECT ext, sip_password FROM agents WHERE active AND ext = ANY($1::text[])",
                            list(public))
    exposed = sorted(r["ext"] for r in rows if r["sip_password"] == public[r["ext"]])
    if exposed:
        raise DemoRefused(f"{len(exposed)} agents ({', '.join(exposed[:5])}{'…' if len(exposed) > 5 else ''}) still "
                          "have the public demo SIP passwords: run `python -m ivr passwords`, or set IVR_DEMO=1")


async def _write(con: asyncpg.Connection, people: list[DemoPerson], hash_of: dict[str, str]) -> int:
    inserted = 0
    async with con.transaction():
        for person in people:
            created = await con.fetchval(
                """INSERT INTO agents (ext, name, role, password_hash, sip_password, active)
                   VALUES ($1, $2, $3, $4, $5, true)
                   ON CONFLICT (ext) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role,
                       sip_password = EXCLUDED.sip_password, active = true, updated_at = now()
                   RETURNING (xmax = 0)""",
                person.ext, person.name, person.role,
                hash_of.get(person.ext) or "pbkdf2_sha256$placeholder", person.sip_password)
            inserted += bool(created)
            await con.execute("DELETE FROM agent_branches WHERE ext = $1", person.ext)
            await con.executemany("INSERT INTO agent_branches (ext, queue, penalty) VALUES ($1, $2, $3)",
                                  [(person.ext, queue, penalty) for queue, penalty in person.branches])
        await con.executemany("""INSERT INTO agencies (name, contact, branches) VALUES ($1, $2, $3)
                                 ON CONFLICT ON CONSTRAINT agencies_name_key_unique DO NOTHING""", DEMO_AGENCIES)
    return inserted


async def _main(dsn: str) -> None:
    con = await asyncpg.connect(dsn)
    try:
        print(f"demo data: {await load_demo_data(con)} new people")
    finally:
        await con.close()


if __name__ == "__main__":
    import os

    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DATABASE_URL", "")
    if not url:
        sys.exit("usage: python -m db.demo DATABASE_URL")
    asyncio.run(_main(url))
