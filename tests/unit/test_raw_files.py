"""Reading Asterisk's local raw-fact files (ivr/calls/raw_files.py): lines as cel_custom and the
queue_log file write them, seen on Asterisk 22."""
from __future__ import annotations

from datetime import datetime, timezone

from ivr.calls.raw_files import epoch_time, read_rows

CEL_LINE = ('"HANGUP","1796168812.961471","","","0987600608","0987600608","","","s","ivr-survey",'
            '"Local/2@test-press-00000000;1","AppDial2","(Outgoing Line)","3","","","1796168809.0","1796168809.0",'
            '"","","{""hangupcause"":16,""hangupsource"":""dialplan/builtin"",""dialstatus"":""ANSWER""}"')
QUEUE_LINE = "1796168811|1796168809.0|cdc|1001|CONNECT|0|1796168811.2|0"
LATER = datetime(2030, 1, 1, tzinfo=timezone.utc)


def test_epoch_time_is_exact_to_the_microsecond():
    at = epoch_time("1796168812.961471")
    assert at is not None and at.microsecond == 961471 and int(at.timestamp()) == 1796168812
    assert epoch_time("1796168811") == datetime.fromtimestamp(1796168811, tz=timezone.utc)
    assert epoch_time("2026-12-01 23:46:52") is None     # cel.conf's former dateformat: not a key we can match


def test_a_cel_line_becomes_a_cel_row():
    data = (CEL_LINE + "\n").encode()
    chunk = read_rows("cel", data, 100, LATER)
    [row] = chunk.rows
    assert chunk.end == 100 + len(data) and chunk.skipped == 0
    assert (row["eventtype"], row["uniqueid"], row["linkedid"], row["amaflags"]) == ("HANGUP", "1796168809.0",
                                                                                    "1796168809.0", 3)
    assert row["extra"] == '{"hangupcause":16,"hangupsource":"dialplan/builtin","dialstatus":"ANSWER"}'
    assert row["eventtime"] == epoch_time("1796168812.961471")


def test_a_queue_log_line_fills_data1_to_data5_as_realtime_does():
    [row] = read_rows("queue_log", (QUEUE_LINE + "\n").encode(), 0, LATER).rows
    assert (row["callid"], row["queuename"], row["agent"], row["event"]) == ("1796168809.0", "cdc", "1001", "CONNECT")
    assert [row[f"data{i}"] for i in range(1, 6)] == ["0", "1796168811.2", "0", "", ""] and row["data"] == ""
    [long] = read_rows("queue_log", b"1|c|q|a|E|1|2|3|4|5|6\n", 0, LATER).rows
    assert long["data5"] == "5|6"


def test_an_unfinished_last_line_waits_for_the_next_read():
    data = (QUEUE_LINE + "\n" + QUEUE_LINE[:12]).encode()
    chunk = read_rows("queue_log", data, 0, LATER)
    assert len(chunk.rows) == 1 and chunk.end == len(QUEUE_LINE) + 1


def test_a_line_younger_than_the_settling_age_stops_the_read():
    settled = datetime.fromtimestamp(1796168811, tz=timezone.utc)    # the line's own second: too young
    data = f"1796168810|x|cdc|NONE|ENTERQUEUE||0987|1\n{QUEUE_LINE}\n".encode()
    chunk = read_rows("queue_log", data, 0, settled)
    assert [r["event"] for r in chunk.rows] == ["ENTERQUEUE"]
    assert chunk.end == data.index(b"\n") + 1


def test_lines_that_are_not_raw_facts_are_skipped_and_counted():
    data = b'"HANGUP","2026-12-01 23:46:52"\nnot a line\n' + (QUEUE_LINE + "\n").encode()
    assert read_rows("cel", data, 0, LATER).skipped == 3
    chunk = read_rows("queue_log", data, 0, LATER)
    assert chunk.skipped == 2 and len(chunk.rows) == 1 and chunk.end == len(data)
