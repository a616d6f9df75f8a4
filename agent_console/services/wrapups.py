"""Submitting a call's wrap-up: who may, what is stored, and the agent leaving wrap-up.

Only the agent who took the call, or a supervisor/admin, may submit it. A named agency must be an
active entry of the directory serving the call's branch (db/agencies.py). The wrap-up, the call's
ticket and its history row are stored together (db/wrapups.py, one transaction); then the agent
who took the call leaves wrap-up (AgentControl.wrapup_submitted).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from agent_console.keys import Principal
from contracts.errors import AgencyRefused, CallUnknown, NotYourCall
from contracts.ports import AgentControl
from db.agencies import agency_id_by_name, get_agency, refusal
from db.calls import MAX_LINKEDID_CHARS, get_call
from db.wrapups import Wrapup, save_wrapup


@dataclass(frozen=True)
class WrapupForm:
    category: str
    outcome: str
    agency: str | None       # a name, looked up in the directory when agency_id is not given
    notes: str
    agency_id: int | None = None


class WrapupService:
    def __init__(self, pool: asyncpg.Pool, agents: AgentControl | None) -> None:
        self._pool = pool
        self._agents = agents

    async def submit(self, linkedid: str, by: Principal, form: WrapupForm) -> dict[str, Any]:
        """The stored wrap-up and ticket, plus the agent's new state when the agent is known.
        CallUnknown when no such call exists; NotYourCall for another agent's call."""
        agent = await self.agent_of_call(linkedid)
        if agent != by.ext and not by.sees_all_calls:
            raise NotYourCall("only the agent who took this call may wrap it up")
        agency = await self.directory_agency(linkedid, form)
        saved = await save_wrapup(self._pool, Wrapup(
            linkedid=linkedid, ext=agent or by.ext, category=form.category, outcome=form.outcome,
            agency=None if agency is None else agency["name"], notes=form.notes, submitted_by=by.ext,
            agency_id=None if agency is None else agency["id"]))
        if self._agents is not None and agent:
            saved["agent"] = _json_state(await self._agents.wrapup_submitted(agent, linkedid))
        return saved

    async def directory_agency(self, linkedid: str, form: WrapupForm) -> dict[str, Any] | None:
        """The directory's entry the form names (None when it names none); AgencyRefused when it is not
        in the directory, inactive, or does not serve the call's branch (unknown branch: any active entry)."""
        agency_id = form.agency_id
        if agency_id is None and form.agency is not None:
            agency_id = await agency_id_by_name(self._pool, form.agency)
            if agency_id is None:
                raise AgencyRefused(f"agency {form.agency!r} is not in the directory")
        if agency_id is None:
            return None
        call = await get_call(self._pool, linkedid) if len(linkedid) <= MAX_LINKEDID_CHARS else None
        agency = await get_agency(self._pool, agency_id)
        reason = refusal(agency, agency_id, call["branch"] if call else None)
        if reason is not None:
            raise AgencyRefused(reason)
        return agency

    async def agent_of_call(self, linkedid: str) -> str | None:
        """Who took the call: the call record, or (before it is written) the agent's live state."""
        call = await get_call(self._pool, linkedid) if len(linkedid) <= MAX_LINKEDID_CHARS else None
        if call is not None and call["agent"]:
            return call["agent"]
        for state in self._agents.snapshot() if self._agents is not None else []:
            if state.get("linkedid") == linkedid:
                return state["ext"]
        if call is None:
            raise CallUnknown("no such call")
        return None


def _json_state(state: Mapping[str, Any]) -> dict[str, Any]:
    row = dict(state)
    since = row.get("since")
    row["since"] = since.isoformat() if hasattr(since, "isoformat") else since
    return row
