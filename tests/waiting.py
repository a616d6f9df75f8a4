"""Waiting for something the real servers will do, bounded in time."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Call `predicate` (a function or a coroutine function) until it returns something true;
    fail the test naming `what` after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, f"timed out after {timeout}s waiting for {what}"
        await asyncio.sleep(interval)
