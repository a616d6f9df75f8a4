"""After each AMI (re)connect: make Asterisk's queue members and the controller's agents agree.

Nothing is replayed after a reconnect, and an Asterisk restart loses every member
(persistentmembers = no). So, from QueueStatus:
- agents the controller believes logged in are re-added where missing, and re-paused when the
  controller has them paused or in wrap-up;
- a pause Asterisk has and the controller does not (set while we were away) is adopted;
- an agent we had ringing or on a call who is in no call any more is ready again;
- members on an agent's phones (desk, browser or both) the controller does not know (it restarted,
  Asterisk did not) are adopted.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping

from contracts.errors import TelephonyUnavailable
from contracts.phones import phone_of
from ivr.acd import states as machine
from ivr.acd.service import AgentService, Membership, member_fields
from ivr.acd.states import AgentState
from ivr.ami.actions import AmiActions
from ivr.ami.client import AmiActionFailed, AmiError

log = logging.getLogger(__name__)

Member = Mapping[str, str]


async def resync_members(service: AgentService, ami: AmiActions, *, attempts: int = 30, delay: float = 1.0) -> None:
    status = await _queue_status(ami, attempts, delay)
    if status is None:
        return
    present: dict[str, list[Member]] = defaultdict(list)
    for event in status:
        if event.get("Event") == "QueueMember":
            present[event.get("Location") or event.get("Interface") or ""].append(event)
    _adopt_unknown(service, present)
    for ext, membership in list(service.members.items()):
        async with service.lock(ext):
            try:
                await _restore(service, ext, membership, present.get(membership.interface, []))
            except TelephonyUnavailable as exc:
                log.warning("agent %s not restored: %s", ext, exc)
    log.info("queue resync: %d agents logged in", len(service.members))


async def _queue_status(ami, attempts: int, delay: float) -> list[Member] | None:
    """QueueStatus; while Asterisk is still booting app_queue answers 'unknown command': retry."""
    for attempt in range(attempts):
        try:
            return await ami.collect("QueueStatus", timeout=10)
        except AmiActionFailed as exc:
            if "unknown command" not in str(exc).lower() or attempt == attempts - 1:
                log.warning("queue resync skipped: %s", exc)
                return None
        except AmiError as exc:
            log.warning("queue resync skipped: %s", exc)
            return None
        await asyncio.sleep(delay)
    return None


def _adopt_unknown(service: AgentService, present: dict[str, list[Member]]) -> None:
    known = {m.interface for m in service.members.values()}
    for interface, members in present.items():
        ext = members[0].get("Name") or members[0].get("MemberName") or ""
        if interface in known or phone_of(ext, interface) is None:
            continue
        queues = tuple((m.get("Queue", ""), int(m.get("Penalty") or 0)) for m in members)
        at = service.clock()
        state = machine.login(AgentState(ext), at)
        if members[0].get("PausedReason") == machine.WRAP_UP_REASON:
            state = state.to(machine.WRAP_UP, at, reason=machine.WRAP_UP_REASON)
        else:
            state = machine.apply_event(state, {**members[0], "Event": "QueueMemberStatus"}, at)
        service.adopt(ext, Membership(interface, queues), state)
        log.info("adopted queue member %s (%s)", ext, state.state)


async def _restore(service: AgentService, ext: str, membership: Membership, members: list[Member]) -> None:
    current = service.state(ext)
    if not current.logged_in:
        return
    want_pause = current.state in (machine.PAUSED, machine.WRAP_UP)
    in_queues = {m.get("Queue") for m in members}
    for queue, penalty in membership.queues:
        if queue not in in_queues:
            await service.send("QueueAdd", **member_fields(ext, membership.interface, queue, penalty,
                                                           paused=want_pause, reason=current.reason))
    paused_in_asterisk = [m for m in members if m.get("Paused") == "1"]
    at = service.clock()
    if want_pause and len(paused_in_asterisk) < len(members):
        await service.send("QueuePause", Interface=membership.interface, Paused="true",
                           Reason=current.reason or machine.WRAP_UP_REASON)
    elif current.state == machine.READY and paused_in_asterisk:
        service.apply(ext, machine.apply_event(current, {**paused_in_asterisk[0], "Event": "QueueMemberStatus"}, at))
    elif current.state in (machine.RINGING, machine.ON_CALL) and not any(m.get("InCall") == "1" for m in members):
        service.apply(ext, current.to(machine.READY, at))
