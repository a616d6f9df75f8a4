"""The keep-place callback service: records requests, keeps a placeholder in line for each waiting
one, dials the citizen when the placeholder reaches an agent, retries, and re-creates placeholders
after a restart (docs/callbacks.md).

Handlers (`on_event`, routed in ivr/events.py) only update memory and spawn kept tasks; placements
run one at a time (`_placing`), each waiting for its own QueueCallerJoin, so the next position is
computed from a settled queue.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import asyncpg

from db import callbacks as store
from ivr.ami.actions import AmiActions
from ivr.ami.client import AmiActionFailed, AmiError
from ivr.callbacks import placement

log = logging.getLogger(__name__)

Publish = Callable[[Mapping[str, Any]], None]
JOIN_TIMEOUT_S = 10.0
# citizen-out's UserEvent CallbackDial reaches AMI through Stasis, the OriginateResponse straight from
# the originating thread: on a loaded machine the response can come first (seen in CI: a no-answer
# recorded as "failed"). A failed Originate waits this long for the dial's own status.
DIAL_STATUS_GRACE_S = 10.0


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class CallbackService:
    def __init__(self, ami: AmiActions, pool: asyncpg.Pool, *, retry_delay_s: int, max_attempts: int,
                 ring_s: int, publish: Publish | None = None, tick_s: float = 1.0) -> None:
        self._ami, self._pool = ami, pool
        self.retry_delay_s, self.max_attempts, self.ring_s = retry_delay_s, max_attempts, ring_s
        self._publish = publish or (lambda message: None)
        self._tick_s = tick_s
        self.placeholders: dict[int, str] = {}      # request id → its ;1 channel, while in a queue
        self._place_at: dict[int, datetime] = {}    # request id → the place it keeps
        self._joined: dict[str, asyncio.Event] = {}  # placeholder Uniqueid → joined its queue
        self._dropping: set[int] = set()             # placeholders we hang up ourselves
        self._dial_status: dict[int, str] = {}       # attempt id → DIALSTATUS (UserEvent CallbackDial)
        self._dial_reported: dict[int, asyncio.Event] = {}  # attempt id → its CallbackDial has come
        self._placing = asyncio.Lock()
        self._serial = itertools.count(int(time.time() * 1000))
        self._tasks: set[asyncio.Task[None]] = set()

    # -- part ---------------------------------------------------------------------------------
    async def start(self) -> None:
        self.spawn(self._retry_loop(), "callback-retries")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def spawn(self, coro: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(_logged(coro, name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- requests (the FastAGI route) ------------------------------------------------------------
    async def request(self, new: store.NewRequest) -> tuple[int, bool]:
        """(request id, merged into an earlier one?); a new request gets its placeholder."""
        row, merged = await store.create_request(self._pool, new)
        if not merged:
            self._place_at[row["id"]] = row["place_at"]
            self.spawn(self.place(row["id"]), f"callback-place-{row['id']}")
        return row["id"], merged

    # -- AMI events (ivr/events.py) ------------------------------------------------------------------
    def on_event(self, event: Mapping[str, str]) -> None:
        name, uniqueid = event.get("Event"), event.get("Uniqueid", "")
        request_id = placement.request_of(uniqueid)
        if name == "QueueCallerJoin" and request_id is not None:
            self.placeholders[request_id] = event.get("Channel", "")
            self._joined.setdefault(uniqueid, asyncio.Event()).set()
        elif name == "AgentConnect" and request_id is not None:
            self.spawn(self._dial(request_id, event), f"callback-dial-{request_id}")
        elif name == "UserEvent" and event.get("UserEvent") == placement.USEREVENT_DIAL:
            if event.get("Attempt", "").isdigit():
                attempt = int(event["Attempt"])
                self._dial_status[attempt] = event.get("Status", "")
                self._dial_reported.setdefault(attempt, asyncio.Event()).set()
        elif name == "OriginateResponse" and placement.attempt_of(uniqueid) is not None:
            attempt = placement.attempt_of(uniqueid)
            self.spawn(self._dial_ended(attempt, dict(event)), f"callback-result-{uniqueid}")
        elif name == "Hangup" and request_id is not None and event.get("Channel", "").endswith(";1"):
            self._placeholder_gone(request_id)

    def _placeholder_gone(self, request_id: int) -> None:
        self.placeholders.pop(request_id, None)
        if request_id in self._dropping:
            self._dropping.discard(request_id)
            return
        # Not ours (a queue timeout, an operator's hangup): put it back if it still waits.
        self.spawn(self.place(request_id), f"callback-replace-{request_id}")

    # -- placing ------------------------------------------------------------------------------------
    async def place(self, request_id: int) -> None:
        """A placeholder for a waiting request, at its place in its queue (once: not if present)."""
        async with self._placing:
            row = await store.get_request(self._pool, request_id)
            if row is None or row["state"] != "waiting" or request_id in self.placeholders:
                return
            self._place_at[request_id] = row["place_at"]
            entries = [e for e in await self._ami.collect("QueueStatus", Queue=row["queue"])
                       if e.get("Event") == "QueueEntry"]
            position = placement.position_for(
                row["priority"], row["place_at"], placement.waiting_entries(entries, utcnow(), self._place_at))
            fields = placement.placeholder_originate(row, position, next(self._serial))
            joined = self._joined.setdefault(fields["ChannelId"], asyncio.Event())
            try:
                await self._ami.send("Originate", **fields)
                await asyncio.wait_for(joined.wait(), JOIN_TIMEOUT_S)
            except asyncio.TimeoutError:
                log.warning("callback %d: placeholder did not join %s in time", request_id, row["queue"])
            finally:
                self._joined.pop(fields["ChannelId"], None)
            log.info("callback %d: placeholder in %s at position %d", request_id, row["queue"], position)

    async def resync(self, attempts: int = 60, pause_s: float = 0.5) -> None:
        """After a (re)connect: adopt the placeholders Asterisk still has, close attempts whose
        citizen leg is gone, re-create missing placeholders in their original order. Asterisk
        answers AMI before app_queue is loaded after a restart: refused actions are retried."""
        for attempt in range(attempts):
            try:
                return await self._resync()
            except AmiActionFailed as exc:
                if attempt == attempts - 1:
                    raise
                log.info("callback resync: %s; retrying", exc)
                await asyncio.sleep(pause_s)

    async def _resync(self) -> None:
        channels = await self._ami.collect("CoreShowChannels")
        present = {placement.request_of(c.get("Uniqueid", "")): c.get("Channel", "") for c in channels
                   if c.get("Channel", "").endswith(";1")}
        present.pop(None, None)
        dials = {placement.attempt_of(c.get("Uniqueid", "")) for c in channels}
        pending = await store.pending_requests(self._pool)
        self.placeholders = {rid: channel for rid, channel in present.items()
                             if any(r["id"] == rid and r["state"] in ("waiting", "dialling") for r in pending)}
        self._place_at = {r["id"]: r["place_at"] for r in pending}
        for stray in set(present) - set(self.placeholders):
            await self._drop(stray, present[stray])
        for row in pending:
            if row["state"] == "dialling":
                attempt = await store.open_attempt(self._pool, row["id"])
                if attempt is not None and attempt["id"] not in dials:
                    await self._finish(attempt["id"], "lost")
        for row in await store.pending_requests(self._pool):
            if row["state"] == "waiting":
                await self.place(row["id"])

    async def _retry_loop(self) -> None:
        while True:
            await asyncio.sleep(self._tick_s)
            try:
                for request_id in await store.due_retries(self._pool):
                    await self.place(request_id)
            except (OSError, asyncpg.PostgresError, AmiError, asyncio.TimeoutError) as exc:
                log.warning("callback retries: %s", exc or type(exc).__name__)

    # -- dialling the citizen -------------------------------------------------------------------------
    async def _dial(self, request_id: int, event: Mapping[str, str]) -> None:
        channel, agent = event.get("Channel", ""), event.get("MemberName") or None
        attempt = await store.start_attempt(self._pool, request_id, agent, event.get("Linkedid"))
        row = await store.get_request(self._pool, request_id)
        if attempt is None or row is None:
            await self._drop(request_id, channel)
            return
        self._announce(row, agent, "dialling")
        fields = placement.citizen_originate(row["number"], attempt, next(self._serial),
                                             placement.far_end(channel), self.ring_s)
        try:
            await self._ami.send("Originate", **fields)
        except AmiError as exc:
            log.warning("callback %d: the citizen's call was refused: %s", request_id, exc)
            await self._finish(attempt, "failed")

    async def _dial_ended(self, attempt_id: int, response: Mapping[str, str]) -> None:
        """The citizen's Originate ended: answered, or how the dial failed (see DIAL_STATUS_GRACE_S)."""
        if response.get("Response") != "Success" and attempt_id not in self._dial_status:
            reported = self._dial_reported.setdefault(attempt_id, asyncio.Event())
            try:
                await asyncio.wait_for(reported.wait(), DIAL_STATUS_GRACE_S)
            except asyncio.TimeoutError:
                log.info("callback attempt %d: no dial status from citizen-out", attempt_id)
        self._dial_reported.pop(attempt_id, None)
        await self._finish(attempt_id, placement.dial_result(response, self._dial_status.pop(attempt_id, None)))

    async def _finish(self, attempt_id: int, result: str) -> None:
        attempt = await self._pool.fetchrow("SELECT request_id FROM callback_attempts WHERE id = $1", attempt_id)
        state = await store.finish_attempt(self._pool, attempt_id, result, max_attempts=self.max_attempts,
                                           retry_delay_s=self.retry_delay_s)
        if state is None or attempt is None:
            return
        row = await store.get_request(self._pool, attempt["request_id"])
        log.info("callback %d: attempt %d %s → %s", row["id"], attempt_id, result, state)
        self._announce(row, row["agent_ext"], state)
        if state != "connected":
            await self._drop(row["id"], self.placeholders.get(row["id"]))

    async def _drop(self, request_id: int, channel: str | None) -> None:
        """Hang up a placeholder (the agent it reached is freed)."""
        if not channel:
            return
        self._dropping.add(request_id)
        try:
            await self._ami.send("Hangup", Channel=channel)
        except AmiActionFailed:
            self._dropping.discard(request_id)      # already gone

    def _announce(self, row: Mapping[str, Any], agent: str | None, state: str) -> None:
        self._publish({"type": "callback", "ext": agent, "request_id": row["id"], "number": row["number"],
                       "branch": row["branch"], "language": row["language"], "state": state,
                       "requested_at": row["requested_at"].isoformat(), "attempts": row["attempts"],
                       "original_linkedid": row["original_linkedid"]})


async def _logged(coro: Awaitable[None], name: str) -> None:
    try:
        await coro
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("task %s failed", name)
