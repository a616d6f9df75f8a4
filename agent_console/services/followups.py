"""The abandoned-call worklist's decisions: who may call an item, and what an outcome does.

A call from the worklist writes its attempt and asks the controller to ring the agent's phone in
one transaction, committed only once Asterisk queued the call: no attempt without a call, no call
without an attempt (the database away → 503 before anything rings). The db module's refusals
become the domain's (contracts.errors), which agent_console/errors.py answers.
"""
from __future__ import annotations

from typing import Any

import asyncpg

from contracts.errors import FollowupRefused, FollowupUnknown
from contracts.ports import FollowupDialer
from db import followups as worklist


async def call_item(pool: asyncpg.Pool, dialer: FollowupDialer, followup_id: int, agent_ext: str,
                    branches: list[int] | None) -> dict[str, Any]:
    """Rings `agent_ext`'s phone, then the citizen; returns the item with its new attempt.
    `branches`: those the caller may act on (None: all)."""
    try:
        async with pool.acquire() as con, con.transaction():
            _check_branch(await worklist.get_followup(con, followup_id), followup_id, branches)
            attempt = await worklist.start_attempt(con, followup_id, agent_ext)
            await dialer.call_citizen(agent_ext, attempt.number, attempt.id)
    except worklist.FollowupUnknown as exc:
        raise FollowupUnknown(str(exc)) from None
    except (worklist.FollowupClosed, worklist.FollowupBusy) as exc:
        raise FollowupRefused(str(exc)) from None
    item = await worklist.get_followup(pool, followup_id)
    assert item is not None
    return {**item, "attempt_id": attempt.id}


async def record_outcome(pool: asyncpg.Pool, followup_id: int, outcome: str, by_ext: str, *,
                         any_agent: bool, branches: list[int] | None) -> dict[str, Any]:
    try:
        async with pool.acquire() as con, con.transaction():
            _check_branch(await worklist.get_followup(con, followup_id), followup_id, branches)
            return await worklist.record_outcome(con, followup_id, outcome, by_ext, any_agent=any_agent)
    except worklist.FollowupUnknown as exc:
        raise FollowupUnknown(str(exc)) from None
    except worklist.NoPendingCall as exc:
        raise FollowupRefused(str(exc)) from None


def _check_branch(item: dict[str, Any] | None, followup_id: int, branches: list[int] | None) -> None:
    """An item of a branch the agent does not serve is as good as absent for him (404, not 403:
    the number in it is personal data)."""
    if item is None or (branches is not None and item["branch"] not in branches):
        raise worklist.FollowupUnknown(f"no follow-up {followup_id}")
