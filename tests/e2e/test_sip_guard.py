"""SIP phones cannot be guessed (issue 17, item 2): sipp REGISTERs from several loopback addresses
against a real Asterisk whose trunk network is 127.0.0.1/32, with the controller's SIP guard.

An agent's phone on 127.0.0.2 registers; wrong passwords from 127.0.0.3 ban that address (a row in
sip_bans, a deny in Asterisk's ACL); a right password from it is then refused until the ban ends
(lifted by an admin through the API, or by itself); 127.0.0.4 is unaffected; the agent's contact
survives, and a second phone for the same agent is refused instead of replacing it.
"""
from __future__ import annotations

import aiohttp
import asyncpg
import pytest

from db.agents import list_sip_credentials
from db.demo import load_demo_data
from ivr.app import Controller
from ivr.system import db_params
from runtime.asterisk import AgentEndpoint
from runtime.sip_acl import ACL_FILE
from tests.fixtures.controller import controller_settings
from tests.sipp import SippRunner
from tests.waiting import until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

FAILURES = 3
BAN_S = 20
PHONE, ATTACKER, NEIGHBOUR, LATE_ATTACKER = "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"


async def _contacts(pbx, ext: str) -> str:
    return await pbx.cli(f"pjsip show aor {ext}")


async def _active_ban(pool: asyncpg.Pool, address: str):
    return await pool.fetchrow("SELECT * FROM sip_bans WHERE address = $1::inet AND lifted_at IS NULL"
                               " AND until > now() ORDER BY id DESC LIMIT 1", address)


async def _guess(sipp: SippRunner, address: str, ext: str, times: int) -> None:
    for attempt in range(times):
        run = await sipp.register_from(address, ext, f"wrong-{attempt}")
        assert run.returncode != 0 and run.responses() == ["401", "401"], run.errors()


@pytest.fixture
async def guarded(asterisk_factory, database_url: str, db_pool: asyncpg.Pool, tmp_path):
    await load_demo_data(db_pool)
    credentials = {a["ext"]: a["sip_password"] for a in await list_sip_credentials(db_pool)}
    pbx = await asterisk_factory(db=db_params(database_url), trunk_network="127.0.0.1/32",
                                 agents=tuple(AgentEndpoint(e, p) for e, p in credentials.items()))
    settings = controller_settings(pbx, database_url, tmp_path, trunk_network="127.0.0.1/32",
                                   sip_ban_failures=FAILURES, sip_ban_window_s=60, sip_ban_s=BAN_S)
    controller = Controller(settings, database_url, sip_acl_path=pbx.etc_dir / ACL_FILE)
    await controller.start()
    await controller.ami.wait_connected(10)
    async with SippRunner(pbx.options.sip_port) as sipp:
        yield pbx, controller, sipp, credentials
    await controller.stop()


async def test_guessing_bans_the_address_and_spares_the_agent(guarded, db_pool):
    pbx, controller, sipp, password = guarded
    phone = await sipp.register_from(PHONE, "1001", password["1001"])
    assert phone.returncode == 0, phone.errors()
    assert f"sip:1001@{PHONE}" in await _contacts(pbx, "1001")

    await _guess(sipp, ATTACKER, "1001", FAILURES)
    ban = await until(lambda: _active_ban(db_pool, ATTACKER), 10, "the ban of the guessing address")
    assert ban["failures"] == FAILURES and "1001" in ban["accounts"]
    await until(lambda: f"deny = {ATTACKER}" in (pbx.etc_dir / ACL_FILE).read_text(), 10, "the ACL")

    refused = await sipp.register_from(ATTACKER, "1003", password["1003"])
    assert refused.returncode != 0 and "200" not in refused.responses(), refused.responses()
    neighbour = await sipp.register_from(NEIGHBOUR, "1002", password["1002"])
    assert neighbour.returncode == 0, neighbour.errors()
    second_phone = await sipp.register_from(NEIGHBOUR, "1001", password["1001"])
    assert second_phone.returncode != 0 and "200" not in second_phone.responses(), second_phone.responses()
    contacts = await _contacts(pbx, "1001")
    assert f"sip:1001@{PHONE}" in contacts and f"sip:1001@{NEIGHBOUR}" not in contacts

    # An admin lifts the ban in the console: the address is accepted again at once.
    base = f"http://127.0.0.1:{controller.settings.http_port}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/api/v1/auth/login", json={"username": "9001", "password": "demo9001"}) as r:
            token = (await r.json())["token"]
        auth = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{base}/api/v1/admin/sip-bans", headers=auth) as r:
            listed = (await r.json())["bans"]
        assert any(b["id"] == ban["id"] and b["active"] and b["address"] == ATTACKER for b in listed), listed
        async with http.delete(f"{base}/api/v1/admin/sip-bans/{ban['id']}", headers=auth) as r:
            assert r.status == 200 and (await r.json())["lifted_by"] == "9001"
    accepted = await sipp.register_from(ATTACKER, "1003", password["1003"])
    assert accepted.returncode == 0, accepted.errors()

    # A ban nobody lifts ends by itself after IVR_SIP_BAN_SECONDS.
    await _guess(sipp, LATE_ATTACKER, "1004", FAILURES)
    await until(lambda: _active_ban(db_pool, LATE_ATTACKER), 10, "the second ban")

    async def registers() -> bool:
        return (await sipp.register_from(LATE_ATTACKER, "1004", password["1004"])).returncode == 0

    assert not await registers()
    await until(registers, BAN_S + 20, "the ban's end", interval=2)
    assert f"sip:1001@{PHONE}" in await _contacts(pbx, "1001")

    await sipp.close()   # the test phones unregister, so the next test's phone for 1001 may register
    assert f"sip:1001@{PHONE}" not in await _contacts(pbx, "1001")
