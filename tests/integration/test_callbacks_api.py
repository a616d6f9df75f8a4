"""Issue 13: GET /api/v1/callbacks and /api/v1/callbacks/summary on a real server against the real
database (requests and attempts written by db.callbacks, as the controller writes them)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from db.callbacks import NewRequest, create_request, finish_attempt, start_attempt
from tests.integration.test_console_api import bearer, token_for

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def new(number: str, **changes) -> NewRequest:
    values = dict(number=number, branch=3, queue="doctors", language="en", priority=0,
                  place_at=datetime.now(timezone.utc) - timedelta(seconds=30), queue_position=2,
                  original_linkedid=f"orig-{number}")
    values.update(changes)
    return NewRequest(**values)


async def test_supervisors_list_callbacks_with_their_linked_calls(console_client, db_pool):
    reached, _ = await create_request(db_pool, new("0977000101"))
    attempt = await start_attempt(db_pool, reached["id"], "1003", "cb-%d-1" % reached["id"])
    assert await finish_attempt(db_pool, attempt, "answered", max_attempts=3, retry_delay_s=60) == "connected"
    merged_into, _ = await create_request(db_pool, new("0977000102"))
    again, merged = await create_request(db_pool, new("0977000102"))
    assert merged and again["id"] == merged_into["id"]

    supervisor = bearer(await token_for(console_client, "2001"))
    resp = await console_client.get("/api/v1/callbacks?state=connected,cancelled,waiting", headers=supervisor)
    assert resp.status == 200
    body = await resp.json()
    by_number = {}
    for item in body["callbacks"]:
        by_number.setdefault(item["number"], []).append(item)
    one = by_number["0977000101"][0]
    assert (one["state"], one["attempts"], one["agent_ext"], one["branch"]) == ("connected", 1, "1003", 3)
    assert one["linked_calls"] == ["orig-0977000101", f"cb-{reached['id']}-1"]
    assert one["callback_linkedid"] == f"cb-{reached['id']}-1"
    assert sorted(i["state"] for i in by_number["0977000102"]) == ["cancelled", "waiting"]
    assert body["states"] == ["waiting", "dialling", "connected", "retry_wait", "to_worklist", "cancelled"]

    today = datetime.now(timezone.utc).date()
    resp = await console_client.get(f"/api/v1/callbacks/summary?from={today - timedelta(days=1)}&to={today + timedelta(days=1)}",
                                    headers=supervisor)
    figures = await resp.json()
    assert resp.status == 200 and figures["reached"] >= 1 and figures["merged"] >= 1
    assert figures["reached_median_s"] is not None and figures["reached_median_s"] >= 0


async def test_agents_get_403_and_bad_states_400(console_client):
    agent = bearer(await token_for(console_client, "1001"))
    assert (await console_client.get("/api/v1/callbacks", headers=agent)).status == 403
    supervisor = bearer(await token_for(console_client, "2001"))
    resp = await console_client.get("/api/v1/callbacks?state=lost", headers=supervisor)
    assert resp.status == 400 and "state must be among" in (await resp.json())["error"]
    resp = await console_client.get("/api/v1/callbacks?limit=0", headers=supervisor)
    assert resp.status == 400
    resp = await console_client.get("/api/v1/callbacks/summary?from=2026-13-01&to=2026-12-02", headers=supervisor)
    assert resp.status == 400
