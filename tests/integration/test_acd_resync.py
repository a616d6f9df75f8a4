"""Issue 4: after an Asterisk restart (members are lost: persistentmembers = no) the controller
re-adds the agents it believes logged in, paused as they were. A dedicated Asterisk instance and
controller, so the shared `telephony` instance is never restarted under other tests."""
from __future__ import annotations

import asyncio

import pytest

from ivr.ami.client import AmiError
from ivr.app import Controller
from tests.fixtures.controller import controller_settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def members(controller: Controller, interface: str) -> set[tuple[str, str, str]]:
    events = await controller.ami.collect("QueueStatus")
    return {(e["Queue"], e.get("Paused", ""), e.get("PausedReason", "")) for e in events
            if e.event == "QueueMember" and e.get("Location") == interface}


async def eventually(probe, expected, timeout: float):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            value = await probe()
        except AmiError as exc:  # Asterisk restarting: AMI down or app_queue not loaded yet
            value = exc
        if value == expected or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.3)


async def test_members_are_restored_paused_after_an_asterisk_restart(asterisk_factory, database_url,
                                                                      db_pool, tmp_path):
    pbx = await asterisk_factory()
    controller = Controller(controller_settings(pbx, database_url, tmp_path), database_url)
    ext, interface = "1010", "Local/1010@test-agent/n"    # demo branches: doctors:0 emergency:0
    expected = {("doctors", "1", "training"), ("emergency", "1", "training")}
    try:
        await controller.start()
        await controller.ami.wait_connected(10)
        await eventually(lambda: members(controller, interface), set(), 30)   # app_queue loaded
        await controller.agents.login(ext, interface=interface)
        await controller.agents.pause(ext, "training")
        assert await members(controller, interface) == expected
        connections = controller.ami.connections

        await pbx.stop()
        await pbx.start()
        await controller.ami.wait_connected(20)
        assert await eventually(lambda: members(controller, interface), expected, 30) == expected
        assert controller.ami.connections > connections
        state = controller.agents.state(ext)
        assert (state.state, state.reason) == ("paused", "training")
        await controller.agents.logout(ext)
        assert await members(controller, interface) == set()
    finally:
        await controller.stop()
        await pbx.stop()
