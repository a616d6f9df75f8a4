"""`python -m ivr passwords`: a new long random SIP password for every active agent, printed once.

For a real deployment: the demo passwords (db/demo_data.csv) are public, and without IVR_DEMO the
system refuses to start while an agent still has one. Each password is 32 characters from
`secrets.token_urlsafe` (about 190 bits; letters, digits, - and _, safe in pjsip.conf). The output,
one `ext password` line per agent, is the only copy besides the database: give each agent theirs and
restart 1022 (`make run` / systemctl restart) so Asterisk renders the new secrets.
"""
from __future__ import annotations

import asyncio
import secrets
import sys

import asyncpg

from ivr.config import Settings

PASSWORD_CHARS = 32


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_CHARS)[:PASSWORD_CHARS]


async def rotate_sip_passwords(pool: asyncpg.Pool) -> dict[str, str]:
    """ext -> its new SIP password, for every active agent, in one transaction."""
    async with pool.acquire() as con, con.transaction():
        exts = [r["ext"] for r in await con.fetch("SELECT ext FROM agents WHERE active ORDER BY ext FOR UPDATE")]
        passwords = {ext: new_password() for ext in exts}
        await con.executemany("UPDATE agents SET sip_password = $2, updated_at = now() WHERE ext = $1",
                              list(passwords.items()))
    return passwords


async def _rotate(database_url: str) -> dict[str, str]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        return await rotate_sip_passwords(pool)
    finally:
        await pool.close()


def main(settings: Settings) -> int:
    from ivr.system import private_dsn

    passwords = asyncio.run(_rotate(settings.database_url or private_dsn(settings)))
    for ext, password in passwords.items():
        print(f"{ext} {password}")
    print(f"{len(passwords)} SIP passwords changed; restart 1022 so Asterisk uses them", file=sys.stderr)
    return 0
