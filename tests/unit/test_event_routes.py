"""The controller's one table of AMI events (ivr/events.py): complete, isolating, documented."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr.acd.live import LiveHub
from ivr.acd.service import AgentService
from ivr.acd.states import AGENT_EVENTS
from ivr.acd.store import ListenOutcomeWriter
from ivr.calls.tracker import CallTracker
from ivr.events import EventRoutes, _check_complete, event_routes

ARCHITECTURE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def build() -> tuple[EventRoutes, CallTracker, AgentService, list]:
    written: list = []
    tracker = CallTracker(written.append)
    agents = AgentService(None, None, lambda change: None, wrapup_limit_s=1)  # type: ignore[arg-type]
    routes = event_routes(tracker, agents, LiveHub(), ListenOutcomeWriter(None))  # type: ignore[arg-type]
    return routes, tracker, agents, written


def test_every_event_the_tracker_and_the_agent_service_read_is_routed_to_them():
    routes, tracker, agents, _ = build()
    assert all(tracker.handle in routes.table[name] for name in tracker.events)
    assert all(agents.on_member_event in routes.table[name] for name in AGENT_EVENTS)


def test_a_table_missing_a_row_is_refused_at_start_up():
    routes, tracker, agents, _ = build()
    table = dict(routes.table)
    del table["AgentConnect"]
    with pytest.raises(RuntimeError, match="AgentConnect → call tracker"):
        _check_complete(table, tracker, agents)


def test_a_raising_handler_does_not_keep_the_event_from_the_others():
    seen: list[str] = []

    def broken(event):
        raise ValueError("boom")

    routes = EventRoutes({"Hangup": (broken, lambda e: seen.append(e["Uniqueid"]))})
    routes.dispatch({"Event": "Hangup", "Uniqueid": "1.1"})
    routes.dispatch({"Event": "Unread", "Uniqueid": "1.2"})       # no row: goes nowhere
    assert seen == ["1.1"]


def test_the_tracker_gets_a_call_through_the_table():
    routes, tracker, _, written = build()
    routes.dispatch({"Event": "Newchannel", "Uniqueid": "5.1", "Linkedid": "5.1", "CallerIDNum": "0901"})
    assert "5.1" in tracker.calls and written[-1].caller_number == "0901"


def test_docs_architecture_names_every_routed_event():
    routes, *_ = build()
    text = ARCHITECTURE.read_text(encoding="utf-8")
    missing = [name for name in routes.table if not re.search(rf"`{name}`", text)]
    assert not missing, f"docs/architecture.md does not name AMI events {missing}"
