"""What the console needs from the process that hosts it, as small interfaces.

The console never imports `ivr`: the composition root (ivr/app.py) hands init_app objects
that satisfy these protocols (structural typing: no inheritance needed).
"""
from __future__ import annotations

from typing import Protocol

import asyncpg

# The components /healthz reports, in this order; a provider may add more.
HEALTH_COMPONENTS = ("asterisk", "ami", "agi", "database")


class Health(Protocol):
    def components(self) -> dict[str, bool]:
        """Each component's state right now: True when up. Must not block (read cached state)."""
        ...


class PoolProvider(Protocol):
    def __call__(self) -> asyncpg.Pool | None:
        """The process's one asyncpg pool, None while it does not exist yet (requests get 503)."""
        ...
