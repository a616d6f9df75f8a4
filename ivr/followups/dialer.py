"""A call from the abandoned-call worklist: the agent's own phone rings first, then the citizen.

Action only (the console's handler decides who may call which item and writes the attempt): one
asynchronous AMI Originate rings PJSIP/<agent>; once the agent answers, the channel runs
`citizen-out` (dialplan/extensions_citizen_out.conf) with the citizen's number, which dials it
through the endpoint citizen-trunk (IVR_OUTBOUND_URI) and bridges the two. A phone that is not
registered is refused before anything is sent. The channel is named after the attempt
(ChannelId followup-<agent>-<followup_attempts.id>): its Linkedid starts with FOLLOWUP_ID_PREFIX, so
the call tracker and the reconciler never take it for a citizen's call into the hotline. The client
never re-sends an Originate after a reconnect, so nobody is dialled twice.
"""
from __future__ import annotations

import re

from contracts.errors import AgentPhoneOffline
from ivr.acd.listen import checked_ext
from ivr.ami.actions import AmiActions
from ivr.ami.originate import originate_on_phone
from ivr.constants import CONTEXT_CITIZEN_OUT, FOLLOWUP_ID_PREFIX

RING_TIMEOUT_MS = 30_000
_NUMBER = re.compile(r"^[0-9]{3,15}$")


def followup_fields(agent_ext: str, number: str, attempt_id: int, *,
                    ring_timeout_ms: int = RING_TIMEOUT_MS) -> dict[str, str]:
    """The Originate: the agent's phone, then citizen-out with the citizen's number."""
    agent = checked_ext(agent_ext, "agent")
    if not isinstance(number, str) or not _NUMBER.match(number):
        raise ValueError(f"a citizen's number is 3 to 15 digits, not {number!r}")
    if not isinstance(attempt_id, int) or isinstance(attempt_id, bool) or attempt_id < 1:
        raise ValueError(f"attempt_id must be a positive integer, not {attempt_id!r}")
    return {"Channel": f"PJSIP/{agent}", "Context": CONTEXT_CITIZEN_OUT, "Exten": number, "Priority": "1",
            "CallerID": f'"Gọi lại {number}" <{number}>', "Timeout": str(ring_timeout_ms), "Async": "true",
            "ChannelId": f"{FOLLOWUP_ID_PREFIX}{agent}-{attempt_id}"}


class FollowupCaller:
    """Implements contracts.ports.FollowupDialer over the controller's AMI client."""

    def __init__(self, ami: AmiActions, *, ring_timeout_ms: int = RING_TIMEOUT_MS) -> None:
        self._ami = ami
        self._ring_timeout_ms = ring_timeout_ms

    async def call_citizen(self, agent_ext: str, number: str, attempt_id: int) -> None:
        fields = followup_fields(agent_ext, number, attempt_id, ring_timeout_ms=self._ring_timeout_ms)
        await originate_on_phone(self._ami, agent_ext, fields, AgentPhoneOffline)
