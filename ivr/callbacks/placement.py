"""Pure rules of the keep-place callback: channel ids, where a placeholder re-enters a queue, what
an OriginateResponse means. No I/O here (tests/unit/test_callback_placement.py).

A placeholder is the ;1 half of `Local/<request id>@callback-hold/n`, originated into
`callback-queue` with ChannelId `cb-<request id>-<serial>`; the citizen's leg is
`Local/<number>@citizen-out/n` with ChannelId `cbd-<attempt id>-<serial>`. Both start with
CALLBACK_ID_PREFIX, so the call tracker never makes them a call record of their own.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ivr.constants import CALLBACK_ID_PREFIX, CONTEXT_CALLBACK_HOLD, CONTEXT_CALLBACK_QUEUE, CONTEXT_CITIZEN_OUT

_PLACEHOLDER_ID = re.compile(rf"^{CALLBACK_ID_PREFIX}(\d+)-\d+$")
_DIAL_ID = re.compile(rf"^{CALLBACK_ID_PREFIX}d(\d+)-\d+$")
_NUMBER = re.compile(r"^[0-9]{3,15}$")
# OriginateResponse's Reason when the citizen's phone did not answer (as for the listening call).
_NOT_ANSWERED = {"3": "no_answer", "5": "busy", "8": "congestion"}


@dataclass(frozen=True)
class WaitingEntry:
    """One caller in a queue (AMI QueueEntry): its priority and when it joined (or, for another
    request's placeholder, the place it keeps)."""
    priority: int
    placed_at: datetime


def valid_number(number: str) -> bool:
    return bool(_NUMBER.match(number or ""))


def placeholder_id(request_id: int, serial: int) -> str:
    return f"{CALLBACK_ID_PREFIX}{request_id}-{serial}"


def dial_id(attempt_id: int, serial: int) -> str:
    return f"{CALLBACK_ID_PREFIX}d{attempt_id}-{serial}"


def request_of(uniqueid: str) -> int | None:
    """The request id of a placeholder channel's Uniqueid (or Linkedid), else None."""
    match = _PLACEHOLDER_ID.match(uniqueid or "")
    return int(match[1]) if match else None


def attempt_of(uniqueid: str) -> int | None:
    """The attempt id of a citizen's leg's Uniqueid, else None."""
    match = _DIAL_ID.match(uniqueid or "")
    return int(match[1]) if match else None


def position_for(priority: int, place_at: datetime, waiting: Iterable[WaitingEntry]) -> int:
    """Queue() position that puts the placeholder behind every caller with a higher priority and
    every caller of its own priority who was placed before it, ahead of everyone else: nobody who
    joined after the original caller is served first, and nobody who waited longer is overtaken."""
    ahead = sum(1 for entry in waiting
                if entry.priority > priority or (entry.priority == priority and entry.placed_at <= place_at))
    return ahead + 1


def waiting_entries(queue_entries: Iterable[Mapping[str, str]], now: datetime,
                    placed: Mapping[int, datetime]) -> list[WaitingEntry]:
    """QueueStatus's QueueEntry events → WaitingEntry; a placeholder counts at its request's place."""
    entries = []
    for event in queue_entries:
        request_id = request_of(event.get("Uniqueid", ""))
        if request_id is not None and request_id in placed:
            at = placed[request_id]
        else:
            at = now - timedelta(seconds=_int(event.get("Wait"), 0))
        entries.append(WaitingEntry(_int(event.get("Priority"), 0), at))
    return entries


def placeholder_originate(request: Mapping, position: int, serial: int, max_wait_s: int = 0) -> dict[str, str]:
    """The Originate of a placeholder for `request` (a callback_requests row) at `position`."""
    number = request["number"]
    if not valid_number(number):
        raise ValueError(f"not a phone number: {number!r}")
    rid = int(request["id"])
    variables = {"CB_ID": str(rid), "CB_QUEUE": request["queue"], "CB_POSITION": str(position),
                 "CB_PRIO": str(int(request["priority"])), "CB_NUMBER": number,
                 "__IVR_BRANCH": str(int(request["branch"])), "__IVR_LANG": request["language"],
                 "CB_MAX_WAIT": str(max_wait_s or "")}
    ident = placeholder_id(rid, serial)
    return {"Channel": f"Local/{rid}@{CONTEXT_CALLBACK_HOLD}/n", "Context": CONTEXT_CALLBACK_QUEUE,
            "Exten": str(rid), "Priority": "1", "CallerID": f'"Callback {number}" <{number}>',
            "ChannelId": ident, "OtherChannelId": f"{ident}-2", "Async": "true",
            "Variable": ",".join(f"{k}={v}" for k, v in variables.items())}


# citizen-out's Dial ends the ring after ring_s and reports how (UserEvent CallbackDial); the Originate's own
# timeout is only a safety net for a Dial that never ends. Kept well above ring_s: on a loaded machine the
# Local channel and the trunk's first answer can take many seconds, and an Originate timing out first would
# cut a ringing phone and report "failed" instead of "no_answer" (seen in CI at a 10 s margin).
ORIGINATE_GRACE_S = 60


def citizen_originate(number: str, attempt_id: int, serial: int, bridge_to: str, ring_s: int) -> dict[str, str]:
    """The Originate that rings the citizen through citizen-out and, on answer, bridges them to the
    placeholder's far end `bridge_to` (the ;2 half the agent is talking through)."""
    if not valid_number(number):
        raise ValueError(f"not a phone number: {number!r}")
    ident = dial_id(attempt_id, serial)
    return {"Channel": f"Local/{number}@{CONTEXT_CITIZEN_OUT}/n", "Application": "Bridge",
            "Data": f"{bridge_to},x", "CallerID": '"1022" <1022>', "Timeout": str((ring_s + ORIGINATE_GRACE_S) * 1000),
            "ChannelId": ident, "OtherChannelId": f"{ident}-2", "Async": "true",
            "Variable": f"CITIZEN_RING_S={ring_s},CB_ATTEMPT={attempt_id}"}


def far_end(placeholder_channel: str) -> str:
    """Local/…;1 (in the queue, bridged to the agent) → Local/…;2 (in callback-hold)."""
    if not placeholder_channel.endswith(";1"):
        raise ValueError(f"not the ;1 half of a Local channel: {placeholder_channel!r}")
    return placeholder_channel[:-2] + ";2"


_DIAL_STATUS = {"NOANSWER": "no_answer", "BUSY": "busy", "CONGESTION": "congestion", "ANSWER": "answered"}
USEREVENT_DIAL = "CallbackDial"


def dial_result(event: Mapping[str, str], dial_status: str | None = None) -> str:
    """answered | no_answer | busy | congestion | failed, from an OriginateResponse (and the
    DIALSTATUS citizen-out reported in its UserEvent CallbackDial, which says more than the
    Local channel's Reason)."""
    if event.get("Response") == "Success":
        return "answered"
    if dial_status in _DIAL_STATUS and dial_status != "ANSWER":
        return _DIAL_STATUS[dial_status]
    return _NOT_ANSWERED.get(event.get("Reason", ""), "failed")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or "")
    except ValueError:
        return default
