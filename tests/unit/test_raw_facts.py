"""Rebuilding a record from CEL and queue_log rows gives what the live tracker gives."""
from datetime import datetime, timedelta, timezone

from ivr.calls.raw_facts import events_from_facts
from ivr.calls.reconcile import rebuild

T0 = datetime(2026, 11, 23, 8, 0, 0, tzinfo=timezone.utc)


def cel(seq, t, kind, uniqueid, userdeftype="", extra="", channame="PJSIP/trunk-0001", num="0912000111"):
    return dict(id=seq, eventtype=kind, eventtime=T0 + timedelta(seconds=t), userdeftype=userdeftype,
                cid_name="Lê Văn C", cid_num=num, channame=channame, uniqueid=uniqueid, linkedid="500.1",
                extra=extra)


def qlog(seq, t, event, agent="NONE", data="", **datas):
    row = dict(id=seq, time=T0 + timedelta(seconds=t), callid="500.1", queuename="cdc", agent=agent,
               event=event, data=data)
    row.update({f"data{i}": "" for i in range(1, 6)})
    row.update(datas)
    return row


ANSWERED_CEL = [
    cel(1, 0, "CHAN_START", "500.1"),
    cel(2, 1, "ivr_step", "500.1", "ivr_step", '{"extra":"language=vi"}'),
    cel(3, 4, "ivr_step", "500.1", "ivr_step", '{"extra":"branch=2"}'),
    cel(4, 10, "CHAN_START", "500.2", channame="PJSIP/1001-0002", num="1001"),
    cel(5, 40, "CHAN_END", "500.2", channame="PJSIP/1001-0002", num="1001"),
    cel(6, 40, "CHAN_END", "500.1"),
    cel(7, 40, "LINKEDID_END", "500.1"),
]
ANSWERED_QLOG = [
    qlog(1, 4, "ENTERQUEUE", data="|0912000111|1"),
    qlog(2, 10, "CONNECT", agent="1001", data1="6", data2="500.2", data3="1"),
    qlog(3, 40, "COMPLETEAGENT", agent="1001", data1="6", data2="30", data3="1"),
]


def test_answered_call_rebuilt_from_raw_facts():
    [record] = rebuild(ANSWERED_CEL, ANSWERED_QLOG, short_abandon_s=5)
    assert record.outcome == "answered"
    assert (record.branch, record.queue, record.agent, record.language) == (2, "cdc", "1001", "vi")
    assert (record.wait_s, record.talk_s, record.hangup_by) == (6.0, 30.0, "agent")
    assert (record.caller_number, record.caller_name) == ("0912000111", "Lê Văn C")
    assert record.started_at == T0 and record.ended_at == T0 + timedelta(seconds=40)
    assert [(s.kind, s.value) for s in record.ivr_path] == [("language", "vi"), ("branch", "2")]


def test_abandon_with_pipe_separated_data():
    cel_rows = [cel(1, 0, "CHAN_START", "500.1"), cel(2, 3, "USER_DEFINED", "500.1", "ivr_step", "branch=2"),
                cel(3, 20, "CHAN_END", "500.1")]
    queue_rows = [qlog(1, 3, "ENTERQUEUE"), qlog(2, 20, "ABANDON", data="1|1|17")]
    [record] = rebuild(cel_rows, queue_rows, short_abandon_s=5)
    assert (record.outcome, record.wait_s, record.hangup_by) == ("abandoned_queue", 17.0, "caller")


def test_a_call_still_up_is_not_rebuilt():
    assert rebuild(ANSWERED_CEL[:4], ANSWERED_QLOG[:2], short_abandon_s=5) == []


def test_ends_sort_after_everything_else_in_the_same_second():
    events = events_from_facts([cel(1, 40, "CHAN_END", "500.1"), cel(2, 40, "CHAN_START", "500.1")],
                               [qlog(1, 40, "COMPLETECALLER", agent="1001", data1="1", data2="2")])
    assert [e["Event"] for e in events] == ["Newchannel", "AgentComplete", "Hangup"]


def test_a_cel_hangup_says_whether_asterisk_ended_the_callers_channel():
    """CEL HANGUP extras as Asterisk 22 wrote them (tests/integration/test_hangup_by.py)."""
    def abandoned(extra):
        cel_rows = [cel(1, 0, "CHAN_START", "500.1"), cel(2, 3, "USER_DEFINED", "500.1", "ivr_step", "branch=2"),
                    cel(3, 20, "HANGUP", "500.1", extra=extra), cel(4, 20, "CHAN_END", "500.1")]
        queue_rows = [qlog(1, 3, "ENTERQUEUE"), qlog(2, 20, "ABANDON", data="1|1|17")]
        [record] = rebuild(cel_rows, queue_rows, short_abandon_s=5)
        return record.hangup_by
    assert abandoned('{"hangupcause":16,"hangupsource":"","dialstatus":""}') == "caller"
    assert abandoned('{"hangupcause":16,"hangupsource":"PJSIP/trunk-0001","dialstatus":""}') == "caller"
    assert abandoned('{"hangupcause":16,"hangupsource":"dialplan/builtin","dialstatus":""}') == "system"
    assert abandoned('{"hangupcause":0,"hangupsource":"","dialstatus":""}') == "system"
    assert abandoned("not json") == "caller"
