"""Console sessions: opaque random bearer tokens; the table keeps only their SHA-256."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Union

import asyncpg

Queryable = Union[asyncpg.Pool, asyncpg.Connection]


@dataclass(frozen=True)
class Session:
    ext: str
    role: str
    expires_at: datetime


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


async def create_session(pool: Queryable, ext: str, ttl_s: int) -> tuple[str, datetime]:
    """A new token for ext, valid ttl_s seconds; expired sessions are purged on the way."""
    token = secrets.token_urlsafe(32)
    await pool.execute("DELETE FROM sessions WHERE expires_at < now()")
    expires_at = await pool.fetchval(
        """INSERT INTO sessions (token_sha256, ext, expires_at)
           VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING expires_at""",
        _digest(token), ext, float(ttl_s))
    return token, expires_at


async def get_session(pool: Queryable, token: str) -> Session | None:
    """The live session of token (not expired, agent still active), with the agent's current role."""
    row = await pool.fetchrow(
        """SELECT s.ext, a.role, s.expires_at FROM sessions s JOIN agents a ON a.ext = s.ext
           WHERE s.token_sha256 = $1 AND s.expires_at > now() AND a.active""", _digest(token))
    return None if row is None else Session(row["ext"], row["role"], row["expires_at"])


async def delete_session(pool: Queryable, token: str) -> bool:
    status = await pool.execute("DELETE FROM sessions WHERE token_sha256 = $1", _digest(token))
    return status.endswith(" 1")
