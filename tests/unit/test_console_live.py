"""The console's live feed and session helpers, without servers: screen-pop messages from AMI
events, who receives what, the Origin check, the slow-consumer rule, CSRF and the sign-in limit."""
from __future__ import annotations

from datetime import UTC, datetime

from aiohttp.test_utils import make_mocked_request

from agent_console.keys import Principal
from agent_console.live import for_principal, origin_matches_host
from agent_console.web.session import csrf_ok, csrf_token
from ivr.acd.live import LiveHub, ringing_message


def test_agent_called_becomes_a_screen_pop_for_the_member():
    event = {"Event": "AgentCalled", "Queue": "doctors", "MemberName": "1011", "Interface": "PJSIP/1011",
             "CallerIDNum": "0912345678", "CallerIDName": "<b>Lan</b>", "Linkedid": "1700000000.1"}
    assert ringing_message(event) == {
        "type": "ringing", "ext": "1011", "linkedid": "1700000000.1", "caller_number": "0912345678",
        "caller_name": "<b>Lan</b>", "queue": "doctors", "branch": 3, "emergency": False}
    assert ringing_message({**event, "Queue": "emergency", "CallerIDName": "<unknown>"})["emergency"] is True
    assert ringing_message({**event, "MemberName": ""}) is None


def test_hub_publishes_queue_counts_and_agent_states_and_drops_oldest_for_a_slow_reader():
    hub = LiveHub(maxsize=2)
    slow = hub.subscribe()
    hub.on_queue_count({"Event": "QueueCallerJoin", "Queue": "cdc", "Count": "1"})
    hub.on_queue_count({"Event": "QueueCallerAbandon", "Queue": "cdc"})            # no Count: ignored
    hub.on_queue_count({"Event": "QueueCallerLeave", "Queue": "cdc", "Count": "0"})
    since = datetime(2021, 8, 19, 8, 0, tzinfo=UTC)
    hub.agent_states.publish({"ext": "1001", "state": "ready", "reason": None, "since": since, "linkedid": None})
    assert [slow.get_nowait() for _ in range(slow.qsize())] == [
        {"type": "queue", "queue": "cdc", "waiting": 0},
        {"type": "agent", "ext": "1001", "state": "ready", "reason": None, "since": since.isoformat(),
         "linkedid": None}]
    hub.unsubscribe(slow)
    hub.on_queue_count({"Event": "QueueCallerJoin", "Queue": "cdc", "Count": "1"})
    assert slow.empty()


def test_agents_receive_their_own_messages_and_queue_counts_supervisors_everything():
    agent, supervisor = Principal("1001", "agent", "t"), Principal("2001", "supervisor", "t")
    mine, other = {"type": "ringing", "ext": "1001"}, {"type": "agent", "ext": "1002"}
    queue = {"type": "queue", "queue": "cdc", "waiting": 3}
    assert [for_principal(agent, m) for m in (mine, other, queue)] == [True, False, True]
    assert all(for_principal(supervisor, m) for m in (mine, other, queue))


def test_origin_must_name_the_host():
    def request(origin: str | None):
        headers = {"Host": "127.0.0.1:8080", **({"Origin": origin} if origin else {})}
        return make_mocked_request("GET", "/api/v1/ws", headers=headers)
    assert origin_matches_host(request("http://127.0.0.1:8080"))
    assert not origin_matches_host(request("http://evil.example"))
    assert not origin_matches_host(request("http://127.0.0.1:9999"))
    assert not origin_matches_host(request("null"))
    assert not origin_matches_host(request(None))


def test_csrf_token_belongs_to_its_session():
    assert csrf_ok("session-a", csrf_token("session-a"))
    assert not csrf_ok("session-b", csrf_token("session-a"))
    assert not csrf_ok("session-a", None) and not csrf_ok("session-a", "")
