"""Asterisk's raw facts (CEL and queue_log rows) turned into the AMI events the call tracker
already understands, so one piece of logic builds a record whether it saw the call live or
rebuilds it afterwards. Pure functions: rows in, events out."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime

Row = Mapping[str, object]
Event = dict[str, str]

# At the same timestamp, channel starts come first and channel ends last (CEL times are
# rounded to the second, queue_log's too).
_RANK = {"Newchannel": 0, "Hangup": 9}


def _stamp(at: object) -> str:
    assert isinstance(at, datetime)
    return f"{at.timestamp():.6f}"


def _user_step(extra: str) -> tuple[str, str] | None:
    """CELGenUserEvent(ivr_step,kind=value): cel_pgsql stores the extra as JSON {"extra": "kind=value"}
    in Asterisk 22; older versions store the bare string."""
    text = extra
    try:
        parsed = json.loads(extra)
        if isinstance(parsed, dict):
            text = str(parsed.get("extra", ""))
    except ValueError:
        pass
    kind, sep, value = text.partition("=")
    return (kind, value) if sep else None


def _hangup_request(extra: str) -> str:
    """The live event a CEL HANGUP stands for. Seen on Asterisk 22 for the caller's channel:
    dialplan Hangup() gives hangupsource "dialplan/builtin", the AMI Hangup action without a cause
    hangupcause 0, both SoftHangupRequest live; a hang-up by the far end has cause 16 and no source.
    (An AMI Hangup with Cause=16 looks like the caller in CEL: the replay cannot tell those apart.)"""
    try:
        parsed = json.loads(extra)
    except ValueError:
        parsed = {}
    if not isinstance(parsed, dict):
        parsed = {}
    source, cause = str(parsed.get("hangupsource", "")), parsed.get("hangupcause")
    return "SoftHangupRequest" if source.startswith("dialplan/") or cause == 0 else "HangupRequest"


def cel_event(row: Row) -> Event | None:
    base = {"Timestamp": _stamp(row["eventtime"]), "Uniqueid": str(row["uniqueid"]),
            "Linkedid": str(row["linkedid"]), "CallerIDNum": str(row["cid_num"]),
            "CallerIDName": str(row["cid_name"])}
    kind = row["eventtype"]
    if kind == "CHAN_START":
        return {"Event": "Newchannel", **base}
    if kind == "CHAN_END":
        return {"Event": "Hangup", **base}
    if kind == "HANGUP":
        return {"Event": _hangup_request(str(row["extra"])), **base}
    if kind == "ANSWER" and str(row["channame"]).startswith("PJSIP/emergency"):
        return {"Event": "DialEnd", "DestChannel": str(row["channame"]), "DialStatus": "ANSWER", **base}
    # cel_pgsql stores a user-defined event under its own name in `eventtype` (seen: 'ivr_step').
    if row["userdeftype"] == "ivr_step" and kind in ("ivr_step", "USER_DEFINED"):
        step = _user_step(str(row["extra"]))
        if step:
            return {"Event": "UserEvent", "UserEvent": "IvrStep", "Step": step[0], "Value": step[1], **base}
    return None


def _data(row: Row) -> list[str]:
    """queue_log data1..data5, or the '|' separated `data` when adaptive realtime is off."""
    fields = [str(row.get(f"data{i}") or "") for i in range(1, 6)]
    if not any(fields) and row.get("data"):
        fields = (str(row["data"]).split("|") + [""] * 5)[:5]
    return fields


def queue_event(row: Row, linkedid_of: Mapping[str, str]) -> Event | None:
    callid = str(row["callid"])
    data = _data(row)
    base = {"Timestamp": _stamp(row["time"]), "Uniqueid": callid, "Linkedid": linkedid_of.get(callid, callid),
            "Queue": str(row["queuename"]), "MemberName": str(row["agent"]), "Interface": ""}
    kind = row["event"]
    if kind == "ENTERQUEUE":
        return {"Event": "QueueCallerJoin", **base}
    if kind == "CONNECT":
        return {"Event": "AgentConnect", "HoldTime": data[0], **base}
    if kind in ("COMPLETECALLER", "COMPLETEAGENT"):
        reason = "caller" if kind == "COMPLETECALLER" else "agent"
        return {"Event": "AgentComplete", "HoldTime": data[0], "TalkTime": data[1], "Reason": reason, **base}
    if kind == "ABANDON":
        return {"Event": "QueueCallerAbandon", "HoldTime": data[2], **base}
    if kind == "RINGNOANSWER":
        return {"Event": "AgentRingNoAnswer", **base}
    return None


def events_from_facts(cel_rows: Iterable[Row], queue_rows: Iterable[Row]) -> list[Event]:
    cel_rows = list(cel_rows)
    linkedid_of = {str(r["uniqueid"]): str(r["linkedid"]) for r in cel_rows}
    ordered: list[tuple[float, int, int, Event]] = []
    for index, row in enumerate(cel_rows):
        if (event := cel_event(row)) is not None:
            ordered.append((float(event["Timestamp"]), _RANK.get(event["Event"], 5), index, event))
    for index, row in enumerate(queue_rows):
        if (event := queue_event(row, linkedid_of)) is not None:
            ordered.append((float(event["Timestamp"]), 5, len(cel_rows) + index, event))
    ordered.sort(key=lambda item: item[:3])
    return [event for *_, event in ordered]
