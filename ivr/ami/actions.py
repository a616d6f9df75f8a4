"""What the controller's services need of the AMI client: send an action, collect a list action.

Declared once, here; `ivr/ami/client.py` (AmiClient) satisfies it, and unit tests pass a fake.
"""
from __future__ import annotations

from typing import Protocol

from ivr.ami.protocol import AmiMessage


class AmiActions(Protocol):
    async def send(self, action: str, timeout: float | None = None, **fields: object) -> AmiMessage:
        """One action's response; raises AmiActionFailed, AmiTimeout or AmiDisconnected."""
        ...

    async def collect(self, action: str, timeout: float | None = None, **fields: object) -> list[AmiMessage]:
        """The events of a list action (QueueStatus, PJSIPShowEndpoint, …) until its Complete event."""
        ...
