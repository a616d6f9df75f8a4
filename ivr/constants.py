"""Names shared by the Python side and the dialplan (dialplan/*.conf use the same strings).

Change a name here and in dialplan/ together; tests/unit/test_constants.py checks that
every context, queue and variable named here appears in the dialplan.
"""
from __future__ import annotations

from dataclasses import dataclass

# Dialplan contexts.
CONTEXT_TRUNK = "from-trunk"        # calls from the trunk network enter here
CONTEXT_MENU = "ivr-menu"           # the four-branch menu
CONTEXT_AGENTS = "from-agents"      # agents' phones
CONTEXT_IVR_STEP = "ivr-step"       # Gosub that records one step of the caller's path
CONTEXT_LISTEN = "supervisor-listen"  # AMI Originate only: the supervisor's phone listens to an agent's call
CONTEXT_CITIZEN_OUT = "citizen-out"  # AMI Originate only: a call to a citizen through citizen-trunk
ENDPOINT_CITIZEN_TRUNK = "citizen-trunk"  # PJSIP endpoint whose contact is IVR_OUTBOUND_URI
CONTEXT_AGENT_TRANSFER = "agent-transfer"  # TRANSFER_CONTEXT of an answered call: the agent's blind transfers
CONTEXT_AGENCY_OUT = "agency-out"   # agent-transfer's agency-<id> only: the caller out to an agency's phone
TRANSFER_AGENCY_PREFIX = "agency-"  # blind transfer target agency-<id> (agent_console/static/phone.js too)
CONTEXT_CALLBACK_KEYS = "ivr-queue-keys"   # queues.conf context=: * in a branch queue asks for a callback
CONTEXT_CALLBACK_QUEUE = "callback-queue"  # AMI Originate only: the placeholder (;1) waits in the queue
CONTEXT_CALLBACK_HOLD = "callback-hold"    # the placeholder's far end (;2), bridged to the citizen
# ... or speaks to the agent only (whisper) or to both parties (barge): issue 15
SPY_CONTEXTS = {"listen": CONTEXT_LISTEN, "whisper": "supervisor-whisper", "barge": "supervisor-barge"}
MENU_EXTEN = "1022"

# Uniqueid (hence Linkedid) prefix of the supervisor's listening call (ivr/acd/listen.py, AMI Originate
# ChannelId): it is not a citizen's call, so the call tracker and the reconciler leave it out.
LISTEN_ID_PREFIX = "listen-"
# Uniqueid prefix of a callback's placeholder and of the citizen's leg (ivr/callbacks/placement.py):
# not a call of its own (the callback is linked to the original call in callback_requests).
CALLBACK_ID_PREFIX = "cb-"

# Channel variables set by the dialplan or by FastAGI routes.
VAR_BRANCH = "IVR_BRANCH"
VAR_LANGUAGE = "IVR_LANG"
VAR_PRIORITY = "IVR_PRIORITY"
VAR_EMERGENCY = "IVR_EMERGENCY"
VAR_REPEAT_CALLER = "IVR_REPEAT"
VAR_AGENCY_NUMBER = "AGENCY_NUMBER"   # agency_transfer: the agency's phone from the directory, "" = refused

# The UserEvent the dialplan emits for each step of the caller's path.
USEREVENT_STEP = "IvrStep"

# Uniqueid prefix of a call placed from the abandoned-call worklist (ivr/followups/dialer.py): the agent's
# phone, then the citizen; not a call into the hotline, so the tracker and the reconciler leave it out.
FOLLOWUP_ID_PREFIX = "followup-"


@dataclass(frozen=True)
class Branch:
    digit: int
    name: str
    queue: str | None          # None: not queued (the emergency lane dials 115)
    title_vi: str
    title_en: str


BRANCHES: dict[int, Branch] = {
    1: Branch(1, "emergency", None, "Trung tâm Cấp cứu 115", "115 Emergency Center"),
    2: Branch(2, "cdc", "cdc", "Trung tâm Kiểm soát bệnh tật (CDC)", "Disease Control Center (CDC)"),
    3: Branch(3, "doctors", "doctors", "Mạng lưới Thầy thuốc đồng hành", "Volunteer doctors' network"),
    4: Branch(4, "violations", "violations", "Phản ánh vi phạm", "Report rule violations"),
}

# Emergency fallback: when 115 cannot be reached the caller waits here, first in line.
QUEUE_EMERGENCY = "emergency"
QUEUES: tuple[str, ...] = ("cdc", "doctors", "violations", QUEUE_EMERGENCY)


def branch_of_queue(queue: str) -> Branch | None:
    for branch in BRANCHES.values():
        if branch.queue == queue:
            return branch
    return BRANCHES[1] if queue == QUEUE_EMERGENCY else None
