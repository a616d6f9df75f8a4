"""The live API against its own OpenAPI document, with schemathesis (issue 17, item 9).

The controller's console (real Asterisk, real PostgreSQL) serves /api/v1/openapi.json; schemathesis reads it,
so an operation another engineer adds is tested the moment it is documented. Every check is on (5xx, status codes,
content types, response schemas, invalid input accepted, valid input refused, auth ignored); the examples per
operation are bounded so the run stays within minutes on 2 cores. It runs once per role: an admin sees the most
operations, an agent meets the "only their own" rules. Any failure fails the test with schemathesis's own report.
"""
from __future__ import annotations

import asyncio
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import aiohttp
import asyncpg
import pytest

pytestmark = pytest.mark.integration

MAX_EXAMPLES = int(os.environ.get("IVR_SCHEMA_EXAMPLES", "12"))
RUN_TIMEOUT_S = 600  # a shared 2-core machine: one run took 3 minutes under load
ST = Path(sys.executable).with_name("st")
CONFIG = Path(__file__).parents[1] / "schemathesis.toml"
# Ending the session under test would turn every later request into a 401: logout is run on its own, last.
LOGOUT = "logout"
ROLES = {"admin": ("9001", "demo9001"), "agent": ("1001", "demo1001")}


async def _token(base: str, ext: str, password: str) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/api/v1/auth/login", json={"username": ext, "password": password}) as reply:
            assert reply.status == 200, await reply.text()
            return (await reply.json())["token"]


async def _schemathesis(base: str, token: str, report: Path, *operation_filter: str) -> tuple[int, str]:
    command = [str(ST), "--config-file", str(CONFIG), "run", f"{base}/api/v1/openapi.json", "--checks", "all",
               "--phases", "examples,coverage,fuzzing", "--max-examples", str(MAX_EXAMPLES), "--seed", "1022",
               "--workers", "1", "--request-timeout", "20", "--no-shrink", "--generation-database", "none",
               "-H", f"Authorization: Bearer {token}", "--report", "junit", "--report-dir", str(report),
               *operation_filter]
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT,
                                                   env={**os.environ, "NO_COLOR": "1"})
    try:
        output, _ = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT_S)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise
    return process.returncode, output.decode(errors="replace")


# Schemathesis leaves out the operation that serves the document it read (GET /api/v1/openapi.json).
NOT_FUZZED = {LOGOUT, "openapi"}


def _documented_operations(document: dict) -> set[str]:
    return {f"{method.upper()} {path}" for path, item in document["paths"].items() for method, operation in item.items()
            if method in ("get", "post", "put", "patch", "delete") and operation.get("operationId") not in NOT_FUZZED}


def _tested_operations(report: Path) -> dict[str, int]:
    """Operation -> failures, from schemathesis's JUnit report."""
    [junit] = report.glob("*.xml")
    return {case.get("name"): len(case.findall("failure")) + len(case.findall("error"))
            for case in ET.parse(junit).getroot().iter("testcase")}


async def _forget_fuzzed_sign_ins(pool: asyncpg.Pool) -> None:
    """Schemathesis signs in with made-up names from 127.0.0.1: its failures would slow other tests' sign-ins."""
    await pool.execute("DELETE FROM sign_in_failures")


async def _undo_fuzzed_state(controller, base: str) -> None:
    """The session's Asterisk and agents serve the other tests: schemathesis may have switched surge mode on
    (AstDB surge/*: every later caller would hear the surge message) and logged agents in, so both go back."""
    token = await _token(base, *ROLES["admin"])
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        for scope in ({}, {"branch": 2}, {"branch": 3}, {"branch": 4}):
            async with http.post(f"{base}/api/v1/surge", json={"enabled": False, **scope}) as reply:
                assert reply.status == 200, await reply.text()
    for agent in controller.agents.snapshot():
        if agent["state"] != "logged_out":
            await controller.agents.logout(agent["ext"])


@pytest.mark.timeout(3 * RUN_TIMEOUT_S)
@pytest.mark.parametrize("role", sorted(ROLES))
async def test_live_api_matches_openapi(controller, db_pool, tmp_path, role):
    base = f"http://127.0.0.1:{controller.settings.http_port}"
    token = await _token(base, *ROLES[role])
    try:
        code, output = await _schemathesis(base, token, tmp_path / "main", "--exclude-operation-id", LOGOUT)
        assert code == 0, output
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/api/v1/openapi.json") as reply:
                documented = _documented_operations(await reply.json())
        tested = _tested_operations(tmp_path / "main")
        assert documented <= tested.keys(), f"not tested: {sorted(documented - tested.keys())}"
        assert not any(tested.values()), tested
        code, output = await _schemathesis(base, token, tmp_path / "logout", "--include-operation-id", LOGOUT)
        assert code == 0, output
    finally:
        await _forget_fuzzed_sign_ins(db_pool)
        await _undo_fuzzed_state(controller, base)
