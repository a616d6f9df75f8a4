"""Call recordings against the real Asterisk, PostgreSQL and the controller in-process: MixMonitor's
file is indexed, only the right people may play it, every access is in the audit log, and the
retention pass deletes old recordings (docs/recordings.md)."""
from __future__ import annotations

import itertools
import json
import os
import secrets
import wave
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from db.calls import upsert_calls
from db.records import CallRecord
from recordings.call_retention import RecordingRetention
from tests.integration.test_acd import queues_loaded
from tests.waiting import until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

_numbers = itertools.count(1)
AGENT, OTHER_AGENT, SUPERVISOR, ADMIN = "1016", "1015", "2001", "9001"


def new_number() -> str:
    return f"0907{next(_numbers):06d}"


class Api:
    """The REST API as several signed-in users; answers (status, headers, body bytes)."""

    def __init__(self, session: aiohttp.ClientSession, port: int):
        self._session, self._base, self._tokens = session, f"http://127.0.0.1:{port}", {}

    async def get(self, path: str, as_ext: str, **headers: str) -> tuple[int, Any, bytes]:
        if as_ext not in self._tokens:
            async with self._session.post(f"{self._base}/api/v1/auth/login",
                                          json={"username": as_ext, "password": f"demo{as_ext}"}) as resp:
                assert resp.status == 200, await resp.text()
                self._tokens[as_ext] = (await resp.json())["token"]
        headers = {**headers, "Authorization": f"Bearer {self._tokens[as_ext]}"}
        async with self._session.get(self._base + path, headers=headers) as resp:
            return resp.status, resp.headers, await resp.read()


@pytest.fixture
async def api(controller):
    await queues_loaded(controller)
    async with aiohttp.ClientSession() as session:
        yield Api(session, controller.settings.http_port)


async def accesses(pool, recording_id: int) -> list[tuple]:
    rows = await pool.fetch("SELECT ext, role, action, remote_addr, at FROM recording_access"
                            " WHERE recording_id = $1 ORDER BY id", recording_id)
    return [tuple(r) for r in rows]


async def indexed(pool, linkedid: str, timeout: float = 30):
    return await until(lambda: pool.fetchrow("SELECT * FROM recordings WHERE linkedid = $1", linkedid),
                       timeout, f"recording {linkedid} indexed")


async def test_a_recorded_call_is_indexed_played_by_the_right_people_and_audited(calls, api, telephony, db_pool):
    number = new_number()
    await calls.set_global("TEST_TALK_S", "3")
    interface = await calls.local_agent("doctors", AGENT)
    try:
        await calls.caller("3", number)
        call = await calls.record(number)
    finally:
        await calls.remove_agent("doctors", interface)
    assert (call["outcome"], call["agent"]) == ("answered", AGENT)
    linkedid = call["linkedid"]
    assert (telephony.recordings_dir / f"{linkedid}.wav").is_file()
    row = await indexed(db_pool, linkedid)
    # talk_s is Asterisk's TalkTime, whole seconds between two clock readings: a 3.0 s conversation
    # that straddles a second boundary is 3 or 4; the recording itself is 3.0 s of audio.
    assert abs(float(row["duration_s"]) - float(call["talk_s"])) < 1.5, (row["duration_s"], call["talk_s"])
    assert row["size_bytes"] > 8000 and row["deleted_at"] is None and row["created_at"] == call["started_at"]

    status, _, body = await api.get(f"/api/v1/calls/{linkedid}/recording", SUPERVISOR)
    assert status == 200, body
    recording_id = row["id"]
    assert b'"id": %d' % recording_id in body and f"/api/v1/recordings/{recording_id}".encode() in body
    audio = f"/api/v1/recordings/{recording_id}"

    before = datetime.now(UTC)
    status, headers, body = await api.get(audio, SUPERVISOR)
    assert (status, headers["Content-Type"]) == (200, "audio/wav")
    assert body[:4] == b"RIFF" and len(body) == row["size_bytes"]
    assert headers["Content-Disposition"].startswith("inline") and headers["Cache-Control"] == "no-store"
    [(ext, role, action, remote, at)] = await accesses(db_pool, recording_id)
    assert (ext, role, action, remote) == (SUPERVISOR, "supervisor", "play", "127.0.0.1")
    assert before - timedelta(seconds=1) <= at <= datetime.now(UTC)

    status, headers, body = await api.get(audio, AGENT)                   # the agent who took the call
    assert status == 200 and body[:4] == b"RIFF"
    status, headers, body = await api.get(audio + "?download=1", ADMIN)
    assert status == 200 and headers["Content-Disposition"] == f'attachment; filename="{linkedid}.wav"'
    status, _, body = await api.get(audio, SUPERVISOR, Range="bytes=0-99")   # a browser seeking
    assert (status, len(body)) == (206, 100)

    for path in (audio, audio + "?download=1", f"/api/v1/calls/{linkedid}/recording"):
        status, _, body = await api.get(path, OTHER_AGENT)
        assert status == 403, body
    assert [a[:3] for a in await accesses(db_pool, recording_id)] == [
        (SUPERVISOR, "supervisor", "play"), (AGENT, "agent", "play"), (ADMIN, "admin", "download"),
        (SUPERVISOR, "supervisor", "play")]

    assert (await api.get("/api/v1/recordings/999999999", SUPERVISOR))[0] == 404
    assert (await api.get("/api/v1/recordings/..%2F..%2Fetc%2Fpasswd", SUPERVISOR))[0] == 404
    assert (await api.get("/api/v1/calls/no-such-call/recording", SUPERVISOR))[0] == 404


async def test_only_admins_read_the_access_log_newest_first_by_pages(api, telephony, db_pool):
    linkedid = await fake_recorded_call(db_pool, telephony.recordings_dir,
                                        datetime.now(UTC) - timedelta(minutes=1))
    audio = f"/api/v1/recordings/{(await indexed(db_pool, linkedid))['id']}"
    assert (await api.get(audio, SUPERVISOR))[0] == 200
    assert (await api.get(audio + "?download=1", AGENT))[0] == 200
    for ext in (AGENT, SUPERVISOR):
        status, _, body = await api.get("/api/v1/audit/recordings", ext)
        assert status == 403, body
    assert (await api.get("/api/v1/audit/recordings?limit=0", ADMIN))[0] == 400

    status, _, body = await api.get("/api/v1/audit/recordings?limit=1", ADMIN)
    assert status == 200, body
    page = json.loads(body)
    [newest] = page["accesses"]
    assert (newest["linkedid"], newest["ext"], newest["role"], newest["action"]) == (
        linkedid, AGENT, "agent", "download")
    assert newest["at"] and newest["remote_addr"] == "127.0.0.1" and page["next_before_id"] == newest["id"]
    status, _, body = await api.get(f"/api/v1/audit/recordings?limit=1&before_id={newest['id']}", ADMIN)
    [older] = json.loads(body)["accesses"]
    assert (older["linkedid"], older["ext"], older["action"]) == (linkedid, SUPERVISOR, "play")
    assert older["id"] < newest["id"] and older["at"] <= newest["at"]


async def test_retention_deletes_old_recordings_with_an_audit_row_and_they_answer_410(controller, api, telephony,
                                                                                    db_pool):
    now = datetime.now(UTC)
    old, recent, middle = [await fake_recorded_call(db_pool, telephony.recordings_dir, now - timedelta(days=days))
                           for days in (100, 10, 60)]
    rows = {linkedid: await indexed(db_pool, linkedid) for linkedid in (old, recent, middle)}
    assert rows[old]["created_at"] == now - timedelta(days=100)

    assert controller.settings.recording_retention_days == 90
    assert await controller.recordings.retention.run_once() >= 1          # the controller's own: 90 days
    assert await RecordingRetention(db_pool, telephony.recordings_dir, 30).run_once() >= 1

    gone = {linkedid: await db_pool.fetchrow("SELECT * FROM recordings WHERE linkedid = $1", linkedid)
            for linkedid in (old, recent, middle)}
    for linkedid in (old, middle):
        assert (gone[linkedid]["deleted_reason"], gone[linkedid]["deleted_at"] is not None) == ("retention", True)
        assert not (telephony.recordings_dir / f"{linkedid}.wav").exists()
        assert [a[:4] for a in await accesses(db_pool, gone[linkedid]["id"])] == [
            ("system", "system", "delete", None)]
        status, _, body = await api.get(f"/api/v1/recordings/{gone[linkedid]['id']}", SUPERVISOR)
        assert status == 410 and b"retention" in body
    assert gone[recent]["deleted_at"] is None and (telephony.recordings_dir / f"{recent}.wav").is_file()
    assert await controller.recordings.retention.run_once() == 0         # nothing left to delete twice
    assert len(await accesses(db_pool, gone[old]["id"])) == 1              # the 410 was not an access


async def fake_recorded_call(pool, directory, started: datetime) -> str:
    """An ended call answered by AGENT with a 1 s recording, both dated `started`."""
    linkedid = f"{int(started.timestamp())}.{secrets.randbelow(10**9)}"
    async with pool.acquire() as con:
        await upsert_calls(con, [CallRecord(linkedid=linkedid, started_at=started, caller_number=new_number(),
                                            branch=3, queue="doctors", agent=AGENT, outcome="answered",
                                            answered_at=started, ended_at=started + timedelta(seconds=20))])
    path = directory / f"{linkedid}.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\x00\x00" * 8000)
    os.utime(path, (started.timestamp(), started.timestamp()))      # written when the call ended
    assert path.stat().st_mtime == pytest.approx(started.timestamp(), abs=1)
    return linkedid
