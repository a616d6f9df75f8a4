"""AgentService: agents' queue membership and states — commands from the console, facts from app_queue.

Handler → service → action: `handle` (an AMI subscriber) only updates memory, enqueues the
state change and, on AgentComplete, starts the agent's wrap-up task; commands take the agent's
lock, check the transition (InvalidTransition: nothing is sent), send the actions, then commit.

Wrap-up: on AgentComplete the member is paused in all its queues with reason `wrap-up`
(queues.conf keeps wrapuptime=2 so nothing rings before that lands); the agent becomes ready
when the wrap-up is submitted or `wrapup_limit_s` passes. One task per agent does both the
pause and the timer; it is kept, cancelled when the agent leaves wrap-up, and awaited on stop.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import asyncpg

from contracts.errors import AgentPhoneOffline, AgentUnknown, TelephonyUnavailable
from db.agent_states import StateChange
from db.agents import get_agent
from ivr.acd import states as machine
from ivr.acd.events import Bus
from ivr.acd.states import WRAP_UP, WRAP_UP_REASON, AgentState
from ivr.ami.actions import AmiActions
from ivr.ami.client import AmiActionFailed, AmiError
from ivr.calls.tracker import event_time
from contracts.phones import PHONE_OFFLINE_REASON, phone_channel_prefix, phone_interface, phone_of, state_interface

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Answers of app_queue that mean "already as you want it".
_HARMLESS = ("Already there", "Not there")


@dataclass(frozen=True)
class Membership:
    interface: str
    queues: tuple[tuple[str, int], ...]     # (queue, penalty)


def default_interface(ext: str) -> str:
    return phone_interface(ext, "desk")


def browser_interface(ext: str) -> str:
    """The console's WebRTC phone of `ext` (runtime/asterisk_config.py: endpoint <ext>-web)."""
    return phone_interface(ext, "browser")


class AgentService:
    def __init__(self, ami: AmiActions, pool: asyncpg.Pool, record: Callable[[StateChange], None], *,
                 wrapup_limit_s: float, bus: Bus[Mapping[str, Any]] | None = None,
                 clock: Clock = lambda: datetime.now(timezone.utc)):
        self._ami = ami
        self._pool = pool
        self._record = record
        self.wrapup_limit_s = wrapup_limit_s
        self.bus: Bus[Mapping[str, Any]] = bus or Bus()
        self._clock = clock
        self._states: dict[str, AgentState] = {}
        self.members: dict[str, Membership] = {}
        self._by_interface: dict[str, str] = {}
        self._interfaces: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._wrap_ups: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Whether ext's browser phone is known to be offline (set by ivr/acd/phones.py's PhonePresence).
        self.browser_offline: Callable[[str], bool] = lambda ext: False

    # -- reading -------------------------------------------------------------------------------
    def state(self, ext: str) -> AgentState:
        return self._states.get(ext) or AgentState(ext)

    def snapshot(self) -> list[Mapping[str, Any]]:
        return [self.public(s) for _, s in sorted(self._states.items())]

    def public(self, state: AgentState) -> dict[str, object]:
        """The state as the console sees it, with the phone the queues ring while logged in (login's
        "desk" / "browser"; None when logged out): the console keeps Ready off while that phone is offline."""
        membership = self.members.get(state.ext) if state.logged_in else None
        return {**state.as_dict(), "phone": phone_of(state.ext, membership.interface) if membership else None}

    def use_interface(self, ext: str, interface: str) -> None:
        """Log `ext` in on this interface instead of PJSIP/<ext> (tests: a Local channel)."""
        self._interfaces[ext] = interface

    # -- commands ------------------------------------------------------------------------------
    async def login(self, ext: str, interface: str | None = None, *, phone: str = "desk") -> Mapping[str, Any]:
        async with self._lock(ext):
            machine.login(self.state(ext), self._clock())       # raises before anything is sent
            if phone == "auto" and interface is None and ext not in self._interfaces:
                phone = await self._phone_to_ring(ext)
            if phone in ("browser", "both"):
                interface = phone_interface(ext, phone)
            membership = Membership(interface or self._interfaces.get(ext) or default_interface(ext),
                                    await self._branches(ext))
            await self._add_member(ext, membership)
            self.members[ext] = membership
            self._by_interface[membership.interface] = ext
            return self._command(ext, machine.login)

    async def _phone_to_ring(self, ext: str) -> str:
        """"auto": both phones when both are registered (the first to answer takes the call), else the one
        that is, else the desk phone (app_queue skips an unavailable member until it registers)."""
        registered = [phone for phone in ("desk", "browser") if await self._registered(phone_interface(ext, phone))]
        return "both" if len(registered) == 2 else (registered or ["desk"])[0]

    async def _registered(self, interface: str) -> bool:
        try:
            reply = await self._ami.send("Getvar", Variable=f"DEVICE_STATE({interface})")
        except (AmiActionFailed, AmiError) as exc:
            raise TelephonyUnavailable(f"device state of {interface}: {exc}") from None
        return reply.get("Value") not in (None, "", "UNAVAILABLE", "INVALID", "UNKNOWN")

    async def logout(self, ext: str) -> Mapping[str, Any]:
        async with self._lock(ext):
            machine.logout(self.state(ext), self._clock())
            membership = self.members[ext]
            for queue, _ in membership.queues:
                await self._send("QueueRemove", Queue=queue, Interface=membership.interface)
            result = self._command(ext, machine.logout)
            del self.members[ext]
            self._by_interface.pop(membership.interface, None)
            return result

    async def ready(self, ext: str) -> Mapping[str, Any]:
        async with self._lock(ext):
            machine.ready(self.state(ext), self._clock())
            if self._on_offline_browser(ext):
                raise AgentPhoneOffline("your browser phone is not registered: Ready waits for it")
            await self._send("QueuePause", Interface=self.members[ext].interface, Paused="false")
            return self._command(ext, machine.ready)

    async def pause(self, ext: str, reason: str) -> Mapping[str, Any]:
        async with self._lock(ext):
            machine.pause(self.state(ext), reason, self._clock())
            await self._send("QueuePause", Interface=self.members[ext].interface, Paused="true", Reason=reason)
            return self._command(ext, lambda s, at: machine.pause(s, reason, at))

    async def wrapup_submitted(self, ext: str, linkedid: str) -> Mapping[str, Any]:
        return await self._finish_wrap_up(ext, linkedid)

    # -- app_queue events (routed here by ivr/events.py; inside the AMI reader: memory only) ------
    def on_member_event(self, event: Mapping[str, str]) -> None:
        """One of AGENT_EVENTS (ivr/acd/states.py) about a member this controller logged in."""
        interface = event.get("Interface") or event.get("Location") or ""
        ext = self._by_interface.get(interface)
        if ext is None:
            return   # not a member this controller logged in
        current = self.state(ext)
        log.debug("agent %s: %s", ext, dict(event))
        self._commit(current, machine.apply_event(current, event, event_time(event, self._clock)))

    def on_hangup(self, event: Mapping[str, str]) -> None:
        """app_queue does not always send AgentComplete (a call hung up while it is being bridged):
        the agent's own channel hanging up during the call ends it too."""
        linkedid = event.get("Linkedid")
        for ext, membership in self.members.items():
            current = self.state(ext)
            if (current.state == machine.ON_CALL and current.linkedid == linkedid
                    and _agents_leg_ended(ext, membership.interface, event)):
                complete = {"Event": "AgentComplete", "Linkedid": linkedid or "", "Reason": "hangup"}
                self._commit(current, machine.apply_event(current, complete, event_time(event, self._clock)))
                return

    # -- start, stop, resync ---------------------------------------------------------------------
    async def start(self) -> None:
        """Nothing to start (wrap-up tasks begin with calls); a part of the controller so that
        `stop` runs after the AMI client's."""

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def spawn(self, coro: Awaitable[None], name: str) -> asyncio.Task[None]:
        """A task the service keeps until it ends and awaits on stop (no fire-and-forget)."""
        task = asyncio.ensure_future(_logged(coro, name))
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def lock(self, ext: str) -> asyncio.Lock:
        return self._lock(ext)

    def clock(self) -> datetime:
        return self._clock()

    def adopt(self, ext: str, membership: Membership, state: AgentState) -> None:
        """Take over a member found in Asterisk (resync after a controller restart)."""
        self.members[ext] = membership
        self._by_interface[membership.interface] = ext
        self._commit(self.state(ext), state)

    def apply(self, ext: str, state: AgentState) -> None:
        self._commit(self.state(ext), state)

    async def send(self, action: str, **fields: object) -> None:
        await self._send(action, **fields)

    # -- internals ---------------------------------------------------------------------------------
    def _lock(self, ext: str) -> asyncio.Lock:
        return self._locks.setdefault(ext, asyncio.Lock())

    def _command(self, ext: str, transition: Callable[[AgentState, datetime], AgentState]) -> Mapping[str, Any]:
        """Apply a command's transition to the state as it is now (events may have moved it
        while the action was on its way; a fact that arrived meanwhile wins)."""
        current = self.state(ext)
        try:
            new = transition(current, self._clock())
        except machine.InvalidTransition as exc:
            log.info("%s after the action; keeping %s", exc, current.state)
            new = current
        self._commit(current, new)
        return self.public(new)

    def _commit(self, old: AgentState, new: AgentState) -> None:
        if new is old:
            return
        self._states[new.ext] = new
        log.info("agent %s: %s → %s%s%s", new.ext, old.state, new.state, f" ({new.reason})" if new.reason else "",
                 f" call {new.linkedid}" if new.linkedid else "")
        self._record(StateChange(new.ext, new.state, new.reason, new.linkedid, new.since or self._clock()))
        self.bus.publish(self.public(new))
        if new.state == WRAP_UP and (old.state != WRAP_UP or old.linkedid != new.linkedid):
            self._start_wrap_up(new)
        elif new.state != WRAP_UP:
            self._cancel_wrap_up(new.ext)

    def _start_wrap_up(self, state: AgentState) -> None:
        self._cancel_wrap_up(state.ext)
        self._wrap_ups[state.ext] = self.spawn(self._wrap_up(state.ext, state.linkedid), f"wrap-up-{state.ext}")

    def _cancel_wrap_up(self, ext: str) -> None:
        task = self._wrap_ups.pop(ext, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _wrap_up(self, ext: str, linkedid: str | None) -> None:
        interface = self.members[ext].interface
        try:
            await self._send("QueuePause", Interface=interface, Paused="true", Reason=WRAP_UP_REASON)
        except TelephonyUnavailable as exc:
            log.warning("agent %s: wrap-up pause not sent (%s); resync will pause", ext, exc)
        await asyncio.sleep(self.wrapup_limit_s)
        log.info("agent %s: wrap-up limit of %ss passed", ext, self.wrapup_limit_s)
        try:
            await self._finish_wrap_up(ext, linkedid)
        except TelephonyUnavailable as exc:
            log.warning("agent %s: could not end wrap-up (%s)", ext, exc)

    async def _finish_wrap_up(self, ext: str, linkedid: str | None) -> Mapping[str, Any]:
        async with self._lock(ext):
            current = self.state(ext)
            if machine.end_wrap_up(current, linkedid, self._clock()) is current:
                return self.public(current)
            interface = self.members[ext].interface
            if self._on_offline_browser(ext):     # the phone went away during the call or the wrap-up
                await self._send("QueuePause", Interface=interface, Paused="true", Reason=PHONE_OFFLINE_REASON)
                self._command(ext, lambda s, at: machine.end_wrap_up(s, linkedid, at))
                return self._command(ext, lambda s, at: machine.pause(s, PHONE_OFFLINE_REASON, at))
            await self._send("QueuePause", Interface=interface, Paused="false")
            return self._command(ext, lambda s, at: machine.end_wrap_up(s, linkedid, at))

    def _on_offline_browser(self, ext: str) -> bool:
        membership = self.members.get(ext)
        return membership is not None and membership.interface == browser_interface(ext) and self.browser_offline(ext)

    async def _branches(self, ext: str) -> tuple[tuple[str, int], ...]:
        pool = self._pool
        if pool is None:
            raise TelephonyUnavailable("database not ready")
        agent = await get_agent(pool, ext)
        if agent is None or not agent["active"]:
            raise AgentUnknown(f"no active agent {ext}")
        branches = tuple((b["queue"], int(b["penalty"])) for b in agent["branches"])
        if not branches:
            raise machine.InvalidTransition(ext, "log in", "logged_out", "the agent serves no queue")
        return branches

    async def _add_member(self, ext: str, membership: Membership) -> None:
        added: list[str] = []
        try:
            for queue, penalty in membership.queues:
                await self._send("QueueAdd", **member_fields(ext, membership.interface, queue, penalty))
                added.append(queue)
        except TelephonyUnavailable:
            for queue in added:   # all queues or none
                await asyncio.gather(self._send("QueueRemove", Queue=queue, Interface=membership.interface),
                                     return_exceptions=True)
            raise

    async def _send(self, action: str, **fields: object) -> None:
        try:
            await self._ami.send(action, **fields)
        except AmiActionFailed as exc:
            if not any(text in str(exc) for text in _HARMLESS):
                raise TelephonyUnavailable(f"Asterisk refused {exc}") from None
        except AmiError as exc:
            raise TelephonyUnavailable(str(exc)) from None


async def _logged(coro: Awaitable[None], name: str) -> None:
    try:
        await coro
    except Exception:  # a task nobody awaits until stop: its failure must be seen now
        log.exception("%s failed", name)


def _agents_leg_ended(ext: str, interface: str, hangup: Mapping[str, str]) -> bool:
    """Whether a Hangup is the end of the agent's side of the call. Ringing both phones, the member's
    Local channels go away once the answering phone is bridged to the caller (Asterisk optimizes them
    out), and the phone that did not answer hangs up unanswered: only an answered phone's channel counts."""
    channel = hangup.get("Channel", "")
    if phone_of(ext, interface) == "both":
        return channel.startswith(phone_channel_prefix(ext)) and hangup.get("ChannelStateDesc") == "Up"
    return channel.startswith(channel_prefix(interface))


def channel_prefix(interface: str) -> str:
    """PJSIP/1001 → 'PJSIP/1001-'; Local/1001@test-agent/n → 'Local/1001@test-agent-' (its channels' names)."""
    if interface.startswith("Local/"):
        interface = "/".join(interface.split("/")[:2])
    return interface + "-"


def member_fields(ext: str, interface: str, queue: str, penalty: int, *, paused: bool = False,
                  reason: str | None = None) -> dict[str, object]:
    fields: dict[str, object] = {"Queue": queue, "Interface": interface, "Penalty": penalty,
                                 "MemberName": ext, "Paused": "true" if paused else "false"}
    watched = state_interface(interface)
    if watched:
        fields["StateInterface"] = watched
    if paused and reason:
        fields["Reason"] = reason
    return fields
