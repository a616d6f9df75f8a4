"""The one place that owns the AMI socket.

- every action has a timeout (`AmiTimeout`), and one that is pending when the connection
  drops fails with `AmiDisconnected` — it is never re-sent (an Originate must not dial twice);
- a watchdog pings; a ping unanswered within `ping_timeout` closes the connection
  (half-open TCP is noticed), and the supervisor reconnects with backoff;
- event subscribers are plain functions called in the reader: they must only update memory
  or enqueue. One that raises is logged and the connection lives on;
- `on_connected` coroutines (resync) run after each login, as tasks the client keeps and awaits.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable

from ivr.ami.protocol import AmiMessage, AmiParser, AmiProtocolError, format_action

log = logging.getLogger(__name__)

EventHandler = Callable[[AmiMessage], None]
ConnectedHook = Callable[[], Awaitable[None]]


class AmiError(Exception):
    """Anything that went wrong talking to Asterisk over AMI."""


class AmiDisconnected(AmiError):
    """Not connected, or the connection dropped before the answer came (the action is not re-sent)."""


class AmiTimeout(AmiError):
    """No answer within the action's timeout."""


class AmiActionFailed(AmiError):
    def __init__(self, action: str, response: AmiMessage):
        super().__init__(f"{action}: {response.get('Message', response.response)}")
        self.response = response


class _EventList:
    """Collects the events of a list action (QueueStatus, CoreShowChannels…) by ActionID."""

    def __init__(self) -> None:
        self.items: list[AmiMessage] = []
        self.done: asyncio.Future[list[AmiMessage]] = asyncio.get_running_loop().create_future()


class AmiClient:
    def __init__(self, host: str, port: int, username: str, secret: str, *,
                 action_timeout: float = 5.0, ping_interval: float = 5.0, ping_timeout: float = 3.0,
                 max_backoff: float = 5.0):
        self._address = (host, port)
        self._credentials = (username, secret)
        self.action_timeout = action_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._max_backoff = max_backoff
        self._ids = itertools.count(1)
        self._handlers: list[EventHandler] = []
        self._hooks: list[ConnectedHook] = []
        self._pending: dict[str, asyncio.Future[AmiMessage]] = {}
        self._lists: dict[str, _EventList] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._logged_in = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._hook_tasks: set[asyncio.Task[None]] = set()
        self.connections = 0

    # -- public API -----------------------------------------------------------------
    def subscribe(self, handler: EventHandler) -> None:
        self._handlers.append(handler)

    def on_connected(self, hook: ConnectedHook) -> None:
        self._hooks.append(hook)

    @property
    def connected(self) -> bool:
        return self._logged_in.is_set()

    async def start(self) -> None:
        self._supervisor = asyncio.create_task(self._supervise(), name="ami-supervisor")

    async def wait_connected(self, timeout: float) -> None:
        await asyncio.wait_for(self._logged_in.wait(), timeout)

    async def stop(self) -> None:
        if self._supervisor:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
            self._supervisor = None
        for task in list(self._hook_tasks):
            task.cancel()
        await asyncio.gather(*self._hook_tasks, return_exceptions=True)
        self._close()

    async def send(self, action: str, timeout: float | None = None, **fields: object) -> AmiMessage:
        """Send an action and return its response; raises AmiActionFailed on `Response: Error`."""
        if not self.connected:
            raise AmiDisconnected(f"{action}: not connected to Asterisk")
        return await self._request(action, fields, timeout)

    async def collect(self, action: str, timeout: float | None = None, **fields: object) -> list[AmiMessage]:
        """Send a list action and return its events (without the closing `…Complete` event)."""
        if not self.connected:
            raise AmiDisconnected(f"{action}: not connected to Asterisk")
        action_id = f"ivr-{next(self._ids)}"
        event_list = _EventList()
        self._lists[action_id] = event_list
        try:
            await self._request(action, fields, timeout, action_id)
            return await asyncio.wait_for(event_list.done, timeout or self.action_timeout)
        except asyncio.TimeoutError:
            raise AmiTimeout(f"{action}: list not completed in time") from None
        finally:
            self._lists.pop(action_id, None)

    # -- connection -------------------------------------------------------------------
    async def _supervise(self) -> None:
        backoff = 0.2
        while True:
            try:
                await self._run_connection()
                backoff = 0.2
            except (OSError, AmiError, AmiProtocolError, asyncio.TimeoutError) as exc:
                log.warning("AMI connection to %s:%s lost: %s", *self._address, exc)
            finally:
                self._close()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)

    async def _run_connection(self) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that arrives
        # as the connection completes, and stop() then waits forever for the supervisor.
        async with asyncio.timeout(5):
            reader, writer = await asyncio.open_connection(*self._address)
        self._writer = writer
        parser = AmiParser()
        read_task = asyncio.create_task(self._read(reader, parser), name="ami-reader")
        watchdog: asyncio.Task[None] | None = None
        try:
            await self._login()
            self.connections += 1
            self._logged_in.set()
            log.info("AMI connected to %s:%s", *self._address)
            self._run_hooks()
            watchdog = asyncio.create_task(self._watchdog(), name="ami-watchdog")
            done, _ = await asyncio.wait({read_task, watchdog}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # re-raise why the connection ended
        finally:
            # Also when stop() cancels us mid-wait: no task of this connection may outlive it.
            for task in (read_task, watchdog):
                if task is not None:
                    task.cancel()
            await asyncio.gather(*(t for t in (read_task, watchdog) if t is not None), return_exceptions=True)

    async def _login(self) -> None:
        username, secret = self._credentials
        response = await self._request("Login", {"Username": username, "Secret": secret, "Events": "on"}, 5)
        if not response.succeeded:
            raise AmiError(f"AMI login refused: {response.get('Message')}")

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(self._ping_interval)
            try:
                await self._request("Ping", {}, self._ping_timeout)
            except AmiTimeout:
                raise AmiError("ping not answered: connection presumed dead") from None

    async def _read(self, reader: asyncio.StreamReader, parser: AmiParser) -> None:
        while True:
            data = await reader.read(65536)
            if not data:
                raise AmiError("Asterisk closed the connection")
            for message in parser.feed(data):
                self._dispatch(message)

    def _close(self) -> None:
        self._logged_in.clear()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        for future in self._pending.values():
            if not future.done():
                future.set_exception(AmiDisconnected("connection lost before the answer"))
        self._pending.clear()
        for event_list in self._lists.values():
            if not event_list.done.done():
                event_list.done.set_exception(AmiDisconnected("connection lost during the list"))

    # -- messages -----------------------------------------------------------------------
    async def _request(self, action: str, fields: dict[str, object], timeout: float | None,
                       action_id: str | None = None) -> AmiMessage:
        if self._writer is None:
            raise AmiDisconnected(f"{action}: not connected")
        action_id = action_id or f"ivr-{next(self._ids)}"
        future: asyncio.Future[AmiMessage] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = future
        try:
            self._writer.write(format_action(action, action_id, fields))
            async with asyncio.timeout(timeout or self.action_timeout):   # see _run_connection
                response = await future
        except asyncio.TimeoutError:
            raise AmiTimeout(f"{action}: no answer within {timeout or self.action_timeout}s") from None
        finally:
            self._pending.pop(action_id, None)
        if response.response == "Error":
            raise AmiActionFailed(action, response)
        return response

    def _dispatch(self, message: AmiMessage) -> None:
        action_id = message.action_id
        if message.event is None:
            future = self._pending.get(action_id or "")
            if future is not None and not future.done():
                future.set_result(message)
            return
        event_list = self._lists.get(action_id or "")
        if event_list is not None:
            self._collect(event_list, message)
            return
        for handler in self._handlers:
            try:
                handler(message)
            except Exception:  # a broken handler must not take the connection down
                log.exception("AMI event handler %r failed on %s", handler, message.event)

    @staticmethod
    def _collect(event_list: _EventList, message: AmiMessage) -> None:
        if message.get("EventList") == "Complete":
            if not event_list.done.done():
                event_list.done.set_result(event_list.items)
        else:
            event_list.items.append(message)

    def _run_hooks(self) -> None:
        for hook in self._hooks:
            task = asyncio.create_task(self._run_hook(hook))
            self._hook_tasks.add(task)
            task.add_done_callback(self._hook_tasks.discard)

    @staticmethod
    async def _run_hook(hook: ConnectedHook) -> None:
        try:
            await hook()
        except Exception:
            log.exception("AMI on-connected hook %r failed", hook)
