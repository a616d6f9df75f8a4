"""Agents, supervisors and admins: console passwords (PBKDF2-SHA256) and queue membership.

Stored hash format: pbkdf2_sha256$<iterations>$<salt, urlsafe base64>$<hash, urlsafe base64>.
Hashing costs ~0.3 s of CPU at the default iterations: call these from a thread
(asyncio.to_thread) in request handlers.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from functools import lru_cache
from typing import Any, Union

import asyncpg

from db.serialize import json_row

Queryable = Union[asyncpg.Pool, asyncpg.Connection]

ALGORITHM = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000   # OWASP 2023 recommendation for PBKDF2-HMAC-SHA256
MIN_ITERATIONS = 1_000
ROLES = ("agent", "supervisor", "admin")

_PUBLIC_COLUMNS = "a.ext, a.name, a.role, a.active"
_BRANCHES = """COALESCE((SELECT json_agg(json_build_object('queue', b.queue, 'penalty', b.penalty)
                                  ORDER BY b.queue)::text
                       FROM agent_branches b WHERE b.ext = a.ext), '[]') AS branches"""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None) -> str:
    if iterations < MIN_ITERATIONS:
        raise ValueError(f"iterations must be at least {MIN_ITERATIONS}")
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{ALGORITHM}${iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(stored: str, given: str) -> bool:
    """True when `given` matches `stored`; False for a wrong password or a malformed hash."""
    try:
        algorithm, iterations_text, salt_text, hash_text = stored.split("$")
        iterations = int(iterations_text)
        salt, expected = _unb64(salt_text), _unb64(hash_text)
    except (ValueError, AttributeError):
        return False
    if algorithm != ALGORITHM or iterations < MIN_ITERATIONS or not expected:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", given.encode("utf-8", "surrogatepass"), salt, iterations)
    return hmac.compare_digest(digest, expected)


# A hash to verify against when the user does not exist, so a wrong user name costs
# the same time as a wrong password (no user enumeration by timing).
@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("not a password", salt=b"\0" * 16)


def check_credentials(stored_hash: str | None, given: str) -> bool:
    """verify_password, spending the same time when the account is unknown (stored_hash None)."""
    if stored_hash is None:
        verify_password(_dummy_hash(), given)
        return False
    return verify_password(stored_hash, given)


async def get_agent(pool: Queryable, ext: str) -> dict[str, Any] | None:
    """Public fields (ext, name, role, active, branches) of one agent, or None. No secrets."""
    row = await pool.fetchrow(f"SELECT {_PUBLIC_COLUMNS}, {_BRANCHES} FROM agents a WHERE a.ext = $1", ext)
    return None if row is None else _agent(row)


async def list_agents(pool: Queryable) -> list[dict[str, Any]]:
    """Every agent, supervisor and admin, by extension, with branches. No secrets."""
    rows = await pool.fetch(f"SELECT {_PUBLIC_COLUMNS}, {_BRANCHES} FROM agents a ORDER BY a.ext")
    return [_agent(row) for row in rows]


async def get_login(pool: Queryable, ext: str) -> dict[str, Any] | None:
    """ext, role, active and password_hash for the login check only; never send this to a client."""
    row = await pool.fetchrow("SELECT ext, role, active, password_hash FROM agents WHERE ext = $1", ext)
    return None if row is None else dict(row)


async def list_sip_credentials(pool: Queryable) -> list[dict[str, str]]:
    """ext, name and SIP digest secret of each active agent: for rendering PJSIP endpoints."""
    rows = await pool.fetch("SELECT ext, name, sip_password FROM agents WHERE active ORDER BY ext")
    return [dict(row) for row in rows]


def _agent(row: asyncpg.Record) -> dict[str, Any]:
    agent = json_row({k: row[k] for k in ("ext", "name", "role", "active")})
    agent["branches"] = json.loads(row["branches"])
    return agent


async def sip_credential(pool: Queryable, ext: str) -> str | None:
    """The SIP digest secret of one active person (their browser phone's), or None."""
    return await pool.fetchval("SELECT sip_password FROM agents WHERE ext = $1 AND active", ext)
