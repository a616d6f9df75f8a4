"""Which code receives AMI event X: the controller's one table of AMI events.

The AMI client (ivr/ami/client.py) hands every event to `EventRoutes.dispatch`, which calls the
handlers listed for the event's name, in the order listed; an event no one reads stops there.
Handlers run inside the AMI reader: they only update memory or enqueue (a database write is a
writer's `submit`). One that raises is logged and the others still run.

Each feature that reads AMI events adds its row here and in docs/architecture.md.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from ivr.acd.live import LiveHub
from ivr.acd.phones import PhonePresence
from ivr.acd.service import AgentService
from ivr.acd.states import AGENT_EVENTS
from ivr.acd.store import ListenOutcomeWriter
from ivr.calls.tracker import CallTracker
from ivr.callbacks.service import CallbackService
from ivr.sip_guard import SECURITY_FAILURES, SipGuard

log = logging.getLogger(__name__)

Event = Mapping[str, str]
Handler = Callable[[Event], None]


# keep-place callbacks (ivr/callbacks/service.py): a placeholder joined its queue, reached an agent or
# went away; the citizen's leg answered or not (and its DIALSTATUS: UserEvent CallbackDial)
CALLBACK_EVENTS = ("QueueCallerJoin", "AgentConnect", "Hangup", "OriginateResponse", "UserEvent")


class EventRoutes:
    def __init__(self, table: Mapping[str, tuple[Handler, ...]]) -> None:
        self.table = dict(table)

    def dispatch(self, event: Event) -> None:
        for handler in self.table.get(event.get("Event", ""), ()):
            try:
                handler(event)
            except Exception:   # one broken handler must not starve the others
                log.exception("AMI event handler %r failed on %s", handler, event.get("Event"))


def event_routes(calls: CallTracker, agents: AgentService, live: LiveHub,
                 listen_log: ListenOutcomeWriter, callbacks: CallbackService | None = None,
                 phones: PhonePresence | None = None, sip_guard: SipGuard | None = None) -> EventRoutes:
    """The table. `calls` turns events into call records, `agents` into agent states, `live` into
    the console's live messages, `listen_log` into the listening audit log's outcomes, `callbacks`
    into keep-place callbacks (placeholders joining and reaching agents, the citizen's dial)."""
    table: dict[str, tuple[Handler, ...]] = {
        # a call's channels and its steps in the menu (UserEvent ivr-step, dialplan/extensions_step.conf)
        "Newchannel":         (calls.handle,),
        "UserEvent":          (calls.handle,),
        "DialEnd":            (calls.handle,),
        "Hangup":             (calls.handle, live.on_listen_event, agents.on_hangup, listen_log.on_listen_event),
        # who asked to end the caller's channel: its far end, or Asterisk itself (hangup_by system)
        "HangupRequest":      (calls.handle,),
        "SoftHangupRequest":  (calls.handle,),
        # queues (app_queue)
        "QueueCallerJoin":    (calls.handle, live.on_queue_count),
        "QueueCallerLeave":   (calls.handle, live.on_queue_count),
        "QueueCallerAbandon": (calls.handle,),
        # agents (app_queue members)
        "AgentCalled":        (live.on_agent_called, agents.on_member_event),
        "AgentRingNoAnswer":  (calls.handle, agents.on_member_event),
        "AgentConnect":       (calls.handle, agents.on_member_event),
        "AgentComplete":      (calls.handle, agents.on_member_event),
        "QueueMemberPause":   (agents.on_member_event,),
        "QueueMemberStatus":  (agents.on_member_event,),
        # a supervisor's listening channel (ivr/acd/listen.py)
        "OriginateResponse":  (live.on_listen_event, listen_log.on_listen_event),
    }
    if callbacks is not None:
        for name in CALLBACK_EVENTS:
            table[name] = (*table.get(name, ()), callbacks.on_event)
    if phones is not None:
        # the console's browser phones registering and going away (ivr/acd/phones.py: phone-offline)
        table["ContactStatus"] = (phones.on_contact_status,)
    if sip_guard is not None:
        # failed SIP authentications (AMI class security): the SIP guard bans the address (ivr/sip_guard.py)
        table.update({name: (sip_guard.on_security_event,) for name in SECURITY_FAILURES})
    _check_complete(table, calls, agents)
    return EventRoutes(table)


def _check_complete(table: Mapping[str, tuple[Handler, ...]], calls: CallTracker, agents: AgentService) -> None:
    """Every event the tracker and the agent state machine read is routed to them (a start-up check)."""
    missing = [f"{name} → call tracker" for name in sorted(calls.events) if calls.handle not in table.get(name, ())]
    missing += [f"{name} → agent service" for name in sorted(AGENT_EVENTS)
                if agents.on_member_event not in table.get(name, ())]
    if missing:
        raise RuntimeError(f"AMI events not routed: {', '.join(missing)}")
