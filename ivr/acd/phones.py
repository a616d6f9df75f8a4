"""The browser phone's presence: an agent whose console phone is offline is not offered calls.

Asterisk reports each contact of an AOR in a ContactStatus event (Created, Updated, Reachable, NonQualified: registered;
Removed and Unreachable: gone — a WebSocket that closes removes its contact at once). For an agent
logged in to the queues on the browser phone (interface PJSIP/<ext>-web), the phone going away pauses
them with reason `phone-offline`; when it registers again, an agent still paused for that reason is
made ready. A pause for any other reason, wrap-up or a call is left alone (app_queue does not ring an
unavailable device meanwhile); but while the phone is known offline the ACD refuses Ready (AgentPhoneOffline,
409) and a wrap-up that ends leaves the agent paused `phone-offline` instead of ready (AgentService.browser_offline). Events arrive inside the AMI reader: the handler only records what the
phone is and wakes one task per agent, which acts on the latest news under the agent's presence lock.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from contracts.errors import TelephonyUnavailable
from contracts.phones import PHONE_OFFLINE_REASON, ext_of_browser_endpoint
from ivr.acd.service import AgentService, browser_interface
from ivr.acd.states import PAUSED, READY

log = logging.getLogger(__name__)

# NonQualified: registered, with qualify_frequency = 0 (ours: a WebSocket's close is news enough).
ONLINE = frozenset({"Created", "Updated", "Reachable", "NonQualified"})
OFFLINE = frozenset({"Removed", "Unreachable"})


class PhonePresence:
    def __init__(self, agents: AgentService) -> None:
        self._agents = agents
        self.online: dict[str, bool] = {}           # ext -> the browser phone registered, as last reported
        self._locks: dict[str, asyncio.Lock] = {}
        # The ACD asks before making an agent ready (Ready, the end of a wrap-up): not while it is known offline.
        agents.browser_offline = lambda ext: self.online.get(ext) is False

    def on_contact_status(self, event: Mapping[str, str]) -> None:
        ext = ext_of_browser_endpoint(event.get("AOR") or event.get("EndpointName") or "")
        status = event.get("ContactStatus", "")
        if ext is None or status not in ONLINE | OFFLINE:
            return
        self.online[ext] = status in ONLINE
        log.info("browser phone of %s: %s", ext, status)
        self._agents.spawn(self._follow(ext), f"phone-presence-{ext}")

    async def _follow(self, ext: str) -> None:
        async with self._locks.setdefault(ext, asyncio.Lock()):
            membership = self._agents.members.get(ext)
            if membership is None or membership.interface != browser_interface(ext):
                return
            state = self._agents.state(ext)
            try:
                if not self.online.get(ext) and state.state == READY:
                    await self._agents.pause(ext, PHONE_OFFLINE_REASON)
                elif self.online.get(ext) and state.state == PAUSED and state.reason == PHONE_OFFLINE_REASON:
                    await self._agents.ready(ext)
            except TelephonyUnavailable as exc:
                log.warning("agent %s: phone presence not applied (%s)", ext, exc)
