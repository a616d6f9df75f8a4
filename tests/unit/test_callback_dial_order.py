"""How a callback attempt ends when Asterisk's events come in either order: citizen-out's UserEvent
CallbackDial travels through Stasis, the OriginateResponse does not, so on a loaded machine the
response can come first. The service's memory is driven with literal events; the database step
(_finish) is recorded instead of written."""
from __future__ import annotations

import asyncio

import pytest

from ivr.callbacks import service as service_module
from ivr.callbacks.placement import USEREVENT_DIAL, dial_id
from ivr.callbacks.service import CallbackService

ATTEMPT = 7


class Recorded(CallbackService):
    def __init__(self) -> None:
        super().__init__(ami=None, pool=None, retry_delay_s=3, max_attempts=2, ring_s=5)
        self.finished: list[tuple[int, str]] = []

    async def _finish(self, attempt_id: int, result: str) -> None:
        self.finished.append((attempt_id, result))


def response(reason: str = "1", outcome: str = "Failure") -> dict[str, str]:
    return {"Event": "OriginateResponse", "Uniqueid": dial_id(ATTEMPT, 1), "Response": outcome, "Reason": reason}


def dial_status(status: str) -> dict[str, str]:
    return {"Event": "UserEvent", "UserEvent": USEREVENT_DIAL, "Attempt": str(ATTEMPT), "Status": status}


async def settled(service: Recorded) -> None:
    await asyncio.gather(*list(service._tasks))


async def test_the_dial_status_before_the_response_decides() -> None:
    service = Recorded()
    service.on_event(dial_status("NOANSWER"))
    service.on_event(response())
    await settled(service)
    assert service.finished == [(ATTEMPT, "no_answer")]


async def test_a_dial_status_arriving_after_the_response_still_decides() -> None:
    service = Recorded()
    service.on_event(response())
    await asyncio.sleep(0.2)
    assert service.finished == []                        # waiting for citizen-out's word
    service.on_event(dial_status("BUSY"))
    await settled(service)
    assert service.finished == [(ATTEMPT, "busy")]


async def test_without_a_dial_status_a_failed_originate_is_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_module, "DIAL_STATUS_GRACE_S", 0.2)
    service = Recorded()
    service.on_event(response(reason="0"))
    await settled(service)
    assert service.finished == [(ATTEMPT, "failed")]


async def test_an_answered_citizen_does_not_wait() -> None:
    service = Recorded()
    service.on_event(response(reason="4", outcome="Success"))
    await asyncio.wait_for(settled(service), 1.0)
    assert service.finished == [(ATTEMPT, "answered")]
