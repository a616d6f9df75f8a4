"""SIP guard: an address that fails SIP authentication too often is banned inside Asterisk for a while.

Asterisk reports every failed authentication as an AMI `security` event (InvalidPassword,
ChallengeResponseFailed, InvalidAccountID) naming the source address. After `failures` of them from
one address within `window_s`, the address is banned for `ban_s`: a row in `sip_bans` (the audit,
db/sip_bans.py) and a `deny` in Asterisk's pjsip ACL (`sip_bans.conf`, included by pjsip.conf), which
the controller rewrites and reloads (`ModuleLoad reload res_pjsip.so`). A banned address gets
403 to every SIP request, a right password included, until the ban ends or an admin lifts it; the
other addresses and the contacts already registered are untouched. Addresses in the trunk network
are never banned (the carrier sends no credentials, and a spoofed failure must not cut the calls).

Why inside Asterisk and not fail2ban: the ban must not touch the host's firewall (a shared or
containerised host may not allow it, and a test must not), it must be visible to and liftable by
admins in the console, and it then works the same on a native Asterisk and in the chroot.
docs/operations.md#sip-bans says how to run it.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from db.sip_bans import active_addresses, add_ban, lift_ban, list_bans
from runtime.sip_acl import acl_text

log = logging.getLogger(__name__)

SECURITY_FAILURES = ("InvalidPassword", "ChallengeResponseFailed", "InvalidAccountID")


@dataclass(frozen=True)
class BanPolicy:
    failures: int = 5
    window_s: float = 60.0
    ban_s: float = 900.0
    exempt: str = "127.0.0.0/8"       # the trunk network


def source_address(event: Mapping[str, str]) -> str | None:
    """127.0.0.3 from RemoteAddress `IPV4/UDP/127.0.0.3/5061` (IPv6 too); None when unreadable."""
    parts = event.get("RemoteAddress", "").split("/")
    if len(parts) < 3:
        return None
    try:
        return str(ipaddress.ip_address(parts[2].strip("[]")))
    except ValueError:
        return None


class FailureCounter:
    """Failures per address within the window (memory only: the AMI reader must not wait)."""

    def __init__(self, policy: BanPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy, self.clock = policy, clock
        self._seen: dict[str, deque[tuple[float, str]]] = defaultdict(deque)

    def failed(self, address: str, account: str) -> list[str] | None:
        """The accounts tried when this failure reaches the limit (the count starts again); else None."""
        now, seen = self.clock(), self._seen[address]
        seen.append((now, account))
        while seen and seen[0][0] < now - self.policy.window_s:
            seen.popleft()
        if len(seen) < self.policy.failures:
            return None
        accounts = sorted({name for _, name in seen if name})
        del self._seen[address]
        return accounts


class SipGuard:
    """Counts failures from AMI security events, bans, expires and lifts bans; implements contracts.ports.SipBans."""

    def __init__(self, pool: asyncpg.Pool, ami: Any, acl_path: Path | None, policy: BanPolicy) -> None:
        self.pool, self.ami, self.acl_path, self.policy = pool, ami, acl_path, policy
        self.counter = FailureCounter(policy)
        self._exempt = ipaddress.ip_network(policy.exempt, strict=False)
        self._to_ban: asyncio.Queue[tuple[str, list[str]]] = asyncio.Queue()
        self._banned: dict[str, float] = {}          # address -> monotonic end of its ban
        self._changed = asyncio.Event()
        self._task: asyncio.Task | None = None

    def on_security_event(self, event: Mapping[str, str]) -> None:
        """AMI handler (ivr/events.py): memory only; the ban itself is the worker's."""
        address = source_address(event)
        if address is None or address in self._banned or self._is_exempt(address):
            return
        accounts = self.counter.failed(address, event.get("AccountID", ""))
        if accounts is not None:
            self._banned[address] = time.monotonic() + self.policy.ban_s
            self._to_ban.put_nowait((address, accounts))

    def _is_exempt(self, address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return ip.version == self._exempt.version and ip in self._exempt

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sip-guard")
        await self.apply()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def on_connected(self) -> None:
        """Asterisk (re)started: its config was rendered anew, so the ACL is written again."""
        await self.apply()

    async def _run(self) -> None:
        while True:
            try:
                address, accounts = await asyncio.wait_for(self._to_ban.get(), timeout=1.0)
            except asyncio.TimeoutError:
                if any(end <= time.monotonic() for end in self._banned.values()):
                    await self._apply_logged()
                continue
            await add_ban(self.pool, address, self.policy.ban_s, self.policy.failures, ",".join(accounts))
            log.warning("SIP ban: %s for %.0f s after %d failed authentications (%s)", address,
                        self.policy.ban_s, self.policy.failures, ",".join(accounts) or "-")
            await self._apply_logged()

    async def _apply_logged(self) -> None:
        try:
            await self.apply()
        except Exception:   # the database or Asterisk away: the next tick tries again
            log.exception("SIP bans not applied")

    async def apply(self) -> None:
        """Write the active bans (from the database) into Asterisk's ACL and reload it."""
        active = await active_addresses(self.pool)
        now = time.monotonic()
        self._banned = {address: now + left for address, left in active}
        if self.acl_path is None or not self.acl_path.parent.is_dir():
            return
        await asyncio.to_thread(self.acl_path.write_text, acl_text(list(self._banned)))
        if self.ami.connected:
            # res_pjsip_acl has no reload of its own: res_pjsip re-reads pjsip.conf (ACLs included);
            # registered contacts live in astdb and are kept.
            await self.ami.send("ModuleLoad", LoadType="reload", Module="res_pjsip.so")

    async def bans(self) -> list[dict[str, Any]]:
        return await list_bans(self.pool)

    async def lift(self, ban_id: int, by: str) -> dict[str, Any] | None:
        lifted = await lift_ban(self.pool, ban_id, by)
        if lifted is not None:
            log.warning("SIP ban %d of %s lifted by %s", ban_id, lifted["address"], by)
            await self.apply()
        return lifted
