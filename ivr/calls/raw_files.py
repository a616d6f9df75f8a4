"""Asterisk's raw facts as it writes them to local disk (cel_custom's <log>/cel-custom/cel.csv and
the <log>/queue_log file), read back into rows shaped like the `cel` and `queue_log` tables.
Pure functions: bytes in, rows out. Only complete lines are read, and a line younger than the
settling age stops the read (cel_pgsql / realtime may still be writing its twin)."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

# cel_custom.conf's mapping, in this order (the `cel` table's columns, migration 002)
CEL_COLUMNS = ("eventtype", "eventtime", "userdeftype", "cid_name", "cid_num", "cid_ani", "cid_rdnis", "cid_dnid",
               "exten", "context", "channame", "appname", "appdata", "amaflags", "accountcode", "peeraccount",
               "uniqueid", "linkedid", "userfield", "peer", "extra")
QUEUE_LOG_DATA = ("data1", "data2", "data3", "data4", "data5")


@dataclass
class Chunk:
    """The rows of one read, and the byte offset after the last line taken."""
    rows: list[dict[str, object]] = field(default_factory=list)
    end: int = 0
    skipped: int = 0            # lines that are not raw facts (a torn or older-format line)


def epoch_time(text: str) -> datetime | None:
    """'1796168809.734486' (seconds.microseconds, cel.conf without dateformat; queue_log: whole
    seconds) as a UTC time, exact to the microsecond (no float)."""
    seconds, _, fraction = text.partition(".")
    if not seconds.isdigit() or (fraction and not fraction.isdigit()) or len(fraction) > 6:
        return None
    micro = int(fraction.ljust(6, "0")) if fraction else 0
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc) + timedelta(microseconds=micro)


def cel_row(line: str) -> dict[str, object] | None:
    fields = next(csv.reader([line]), [])
    if len(fields) != len(CEL_COLUMNS):
        return None
    row: dict[str, object] = dict(zip(CEL_COLUMNS, fields))
    at = epoch_time(fields[1])
    if at is None or not fields[13].lstrip("-").isdigit():
        return None
    row["eventtime"], row["amaflags"] = at, int(fields[13])
    return row


def queue_log_row(line: str) -> dict[str, object] | None:
    """time|callid|queuename|agent|event|data…: the data fields go to data1..data5 as realtime's
    adaptive mode stores them (a sixth and later field joins data5)."""
    fields = line.split("|")
    at = epoch_time(fields[0]) if len(fields) >= 5 else None
    if at is None:
        return None
    data = fields[5:]
    if len(data) > 5:
        data = data[:4] + ["|".join(data[4:])]
    data += [""] * (5 - len(data))
    return {"time": at, "callid": fields[1], "queuename": fields[2], "agent": fields[3], "event": fields[4],
            "data": "", **dict(zip(QUEUE_LOG_DATA, data))}


PARSERS = {"cel": (cel_row, "eventtime"), "queue_log": (queue_log_row, "time")}


def read_rows(kind: str, data: bytes, start: int, settled_before: datetime) -> Chunk:
    """The rows in data (the file's bytes from offset start), up to the last complete line or the
    first line at or after settled_before."""
    parse, time_column = PARSERS[kind]
    chunk = Chunk(end=start)
    position = 0
    while (newline := data.find(b"\n", position)) >= 0:
        line = data[position:newline].decode("utf-8", "replace").rstrip("\r")
        row = parse(line) if line else None
        if row is not None and row[time_column] >= settled_before:   # type: ignore[operator]
            break
        if row is None:
            chunk.skipped += 1 if line else 0
        else:
            chunk.rows.append(row)
        position = newline + 1
        chunk.end = start + position
    return chunk
