"""Agents' side of the surge bench, besides their phones (sipp): with the controller, each agent
logs in through the REST API (login, ready) and submits the wrap-up form of every call it
answered (POST /api/v1/calls/{linkedid}/wrapup), found by polling GET /api/v1/agents; without
the controller (the bare-Asterisk ceiling) the bench puts the agents in their queues itself
with AMI QueueAdd."""
from __future__ import annotations

import asyncio
import time

import aiohttp

from db.demo import DemoPerson
from tests.fixtures.asterisk import AmiProbe

WRAPUP = {"category": "bench", "outcome": "answered", "notes": "surge bench"}


class ApiAgents:
    def __init__(self, http_port: int, people: list[DemoPerson], poll_s: float = 0.25) -> None:
        self.base = f"http://127.0.0.1:{http_port}/api/v1"
        self.people = people
        self.poll_s = poll_s
        self.tokens: dict[str, str] = {}
        self.submitted: set[str] = set()
        self.refused: dict[str, int] = {}
        self.wrapup_ms: list[float] = []
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    async def login_all(self) -> None:
        """Console login, then agent login + ready, for every agent."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        for person in self.people:
            body = await self._post("/auth/login", None, {"username": person.ext,
                                                          "password": person.console_password})
            self.tokens[person.ext] = body["token"]
            await self._post(f"/agents/{person.ext}/login", person.ext, {})
            await self._post(f"/agents/{person.ext}/ready", person.ext, {}, allow=(409,))

    async def _post(self, path: str, ext: str | None, body: dict, allow: tuple[int, ...] = ()) -> dict:
        assert self._session is not None
        headers = {"Authorization": f"Bearer {self.tokens[ext]}"} if ext else {}
        async with self._session.post(self.base + path, json=body, headers=headers) as response:
            if response.status >= 400 and response.status not in allow:
                raise RuntimeError(f"POST {path}: {response.status} {await response.text()}")
            return await response.json()

    def start_wrapups(self) -> None:
        self._task = asyncio.create_task(self._wrapups(), name="bench-wrapups")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def _wrapups(self) -> None:
        assert self._session is not None
        reader = next(iter(self.tokens))
        while True:
            try:
                async with self._session.get(f"{self.base}/agents",
                                             headers={"Authorization": f"Bearer {self.tokens[reader]}"}) as r:
                    rows = (await r.json())["agents"] if r.status == 200 else []
            except (TimeoutError, aiohttp.ClientError):
                rows = []
            due = [row for row in rows if row["state"] == "wrap_up" and row.get("linkedid")
                   and row["linkedid"] not in self.submitted and row["ext"] in self.tokens]
            await asyncio.gather(*(self._submit(row["ext"], row["linkedid"]) for row in due))
            await asyncio.sleep(self.poll_s)

    async def _submit(self, ext: str, linkedid: str) -> None:
        assert self._session is not None
        started = time.monotonic()
        try:
            async with self._session.post(f"{self.base}/calls/{linkedid}/wrapup", json=WRAPUP,
                                          headers={"Authorization": f"Bearer {self.tokens[ext]}"}) as r:
                status = r.status
                await r.read()
        except (TimeoutError, aiohttp.ClientError):
            status = 0
        if status == 200:
            self.submitted.add(linkedid)
            self.wrapup_ms.append(1000 * (time.monotonic() - started))
        else:
            self.refused[str(status)] = self.refused.get(str(status), 0) + 1


async def reset_members_by_ami(port: int, user: str, secret: str, people: list[DemoPerson]) -> int:
    """For the bare-Asterisk run: QueueRemove PJSIP/<ext> from each of the agent's queues (the
    controller may have left it paused in wrap-up), then QueueAdd it unpaused; returns how many
    were added. A raw AMI session (tests' AmiProbe): one connection, nothing left running."""
    probe = await AmiProbe.connect(port, user, secret)
    added = 0
    try:
        for person in people:
            for queue, penalty in person.branches:
                interface = f"PJSIP/{person.ext}"
                await probe.action({"Action": "QueueRemove", "Queue": queue, "Interface": interface})
                reply = await probe.action({"Action": "QueueAdd", "Queue": queue, "Interface": interface,
                                            "Penalty": str(penalty), "MemberName": person.ext})
                if reply.get("Response") != "Success":
                    raise RuntimeError(f"QueueAdd {interface} to {queue}: {reply}")
                added += 1
    finally:
        await probe.close()
    return added
