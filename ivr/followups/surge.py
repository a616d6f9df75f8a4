"""The surge switch's mirror in Asterisk's AstDB: family `surge`, key `all` or a queue name, value 1/0.

The dialplan reads it at every call (`DB_EXISTS(surge/all)`, `DB_EXISTS(surge/<queue>)`: the surge
message before the menu or before the branch, and the callback offer at queue entry), so calls keep
their surge behaviour while the controller is away. The state of record is PostgreSQL
(surge_switches); this writes it into Asterisk on every change and, since Asterisk may have
restarted (its AstDB is in the instance's own directory), again after every AMI (re)connect, for
every scope, 0 included, so a switch turned off while Asterisk was away is off there too.
"""
from __future__ import annotations

import logging

import asyncpg

from db.surge import SCOPE_ALL, surge_states
from ivr.ami.actions import AmiActions
from ivr.ami.client import AmiError
from ivr.constants import QUEUES

log = logging.getLogger(__name__)

ASTDB_FAMILY = "surge"
SCOPES: tuple[str, ...] = (SCOPE_ALL, *QUEUES)


class SurgeMirror:
    """Implements contracts.ports.SurgeMirror."""

    def __init__(self, ami: AmiActions, pool: asyncpg.Pool) -> None:
        self._ami = ami
        self._pool = pool
        self.mirrored: dict[str, bool] = {}     # what Asterisk was last told, by scope

    async def mirror(self, scope: str, enabled: bool) -> bool:
        if scope not in SCOPES:
            raise ValueError(f"surge scope must be one of {', '.join(SCOPES)}, not {scope!r}")
        try:
            await self._ami.send("DBPut", Family=ASTDB_FAMILY, Key=scope, Val="1" if enabled else "0")
        except AmiError as exc:
            log.warning("surge %s=%s not written to Asterisk yet (%s): written again on reconnect", scope,
                        enabled, exc)
            return False
        self.mirrored[scope] = enabled
        return True

    async def on_connected(self) -> None:
        """Every scope into AstDB from PostgreSQL's latest rows (a scope without one is off)."""
        try:
            states = await surge_states(self._pool)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("surge state not mirrored after the AMI connect: database unavailable (%s)", exc)
            return
        for scope in SCOPES:
            await self.mirror(scope, bool(states.get(scope, {}).get("enabled")))
        log.info("surge mirrored into AstDB: %s", ", ".join(s for s in SCOPES if self.mirrored.get(s)) or "off")
