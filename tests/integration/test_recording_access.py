"""The access log's promises (docs/recordings.md, "The access log" and "Retention"), on the real
PostgreSQL and the controller in-process:

- recording_access is append-only (migration 008's trigger) and outlives the recording it names;
- the audit row is written before the first byte: when the database refuses it, no audio is sent;
- two controllers running retention at once delete each recording once (FOR UPDATE SKIP LOCKED).
"""
from __future__ import annotations

import asyncio
import secrets
import wave
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from db.migrate import migrate
from db.recordings import NewRecording, insert_recordings, record_access
from recordings.call_retention import RecordingRetention
from tests.integration.test_recordings import SUPERVISOR, accesses, api, fake_recorded_call, indexed  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_the_access_log_refuses_update_and_delete_and_outlives_its_recording(db_pool):
    linkedid = f"{int(datetime.now(UTC).timestamp())}.{secrets.randbelow(10**9)}"
    recording_id = await db_pool.fetchval(
        """INSERT INTO recordings (linkedid, file_name, size_bytes, created_at)
           VALUES ($1, $1 || '.wav', 44, now()) RETURNING id""", linkedid)
    recording = {"id": recording_id, "linkedid": linkedid}
    access_id = await record_access(db_pool, recording, ext=SUPERVISOR, role="supervisor", action="play",
                                    remote_addr="127.0.0.1")
    for statement in ("UPDATE recording_access SET ext = '9999' WHERE id = $1",
                      "UPDATE recording_access SET at = at - interval '1 year' WHERE id = $1",
                      "DELETE FROM recording_access WHERE id = $1"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await db_pool.execute(statement, access_id)
    with pytest.raises(asyncpg.ForeignKeyViolationError):        # the log keeps the recording's row
        await db_pool.execute("DELETE FROM recordings WHERE id = $1", recording_id)
    [(ext, role, action, remote, _)] = await accesses(db_pool, recording_id)
    assert (ext, role, action, remote) == (SUPERVISOR, "supervisor", "play", "127.0.0.1")


async def test_no_audio_is_sent_when_the_audit_row_cannot_be_written(api, telephony, db_pool):  # noqa: F811
    linkedid = await fake_recorded_call(db_pool, telephony.recordings_dir, datetime.now(UTC) - timedelta(minutes=1))
    recording_id = (await indexed(db_pool, linkedid))["id"]
    audio = f"/api/v1/recordings/{recording_id}"
    # The database refuses this recording's access rows, as a full disk or a lost connection would.
    refuse = f"refuse_access_{secrets.token_hex(4)}"
    await db_pool.execute(f"""
        CREATE FUNCTION {refuse}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit write refused by the test'; END $$;
        CREATE TRIGGER {refuse} BEFORE INSERT ON recording_access FOR EACH ROW
            WHEN (NEW.linkedid = '{linkedid}') EXECUTE FUNCTION {refuse}();""")
    try:
        for extra in ({}, {"Range": "bytes=0-99"}):
            status, headers, body = await api.get(audio, SUPERVISOR, **extra)
            assert status >= 500, (status, body[:80])
            assert not body.startswith(b"RIFF") and headers.get("Content-Type") != "audio/wav", body[:80]
    finally:
        await db_pool.execute(f"DROP TRIGGER {refuse} ON recording_access; DROP FUNCTION {refuse}();")
    assert await accesses(db_pool, recording_id) == []
    status, _, body = await api.get(audio, SUPERVISOR)          # once the log works again, so does playing
    assert status == 200 and body.startswith(b"RIFF") and len(await accesses(db_pool, recording_id)) == 1


RECORDINGS = 40


async def test_two_controllers_retention_at_once_delete_each_recording_once(pg_cluster, tmp_path):
    name = f"ivr1022_retention_{secrets.token_hex(4)}"
    await pg_cluster.create_database(name)
    pools = [await asyncpg.create_pool(pg_cluster.dsn(name), min_size=1, max_size=2) for _ in range(2)]
    try:
        await migrate(pools[0])
        old = datetime.now(UTC) - timedelta(days=200)
        linkedids = [f"{int(old.timestamp())}.{n}" for n in range(RECORDINGS)]
        for linkedid in linkedids:
            with wave.open(str(tmp_path / f"{linkedid}.wav"), "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(8000)
                wav.writeframes(b"\x00\x00" * 800)
        assert await insert_recordings(pools[0], [NewRecording(linkedid, f"{linkedid}.wav", 1644, 0.1, old)
                                                  for linkedid in linkedids]) == RECORDINGS
        # Two controllers on one database and one directory, each with its own pool.
        passes = [RecordingRetention(pool, tmp_path, 90) for pool in pools]
        deleted = await asyncio.gather(*(p.run_once() for p in passes))

        assert sum(deleted) == RECORDINGS, deleted
        deletes = await pools[0].fetch(
            "SELECT recording_id, count(*) AS n FROM recording_access WHERE action = 'delete' GROUP BY 1")
        assert len(deletes) == RECORDINGS and {r["n"] for r in deletes} == {1}, [dict(r) for r in deletes]
        assert await pools[0].fetchval("SELECT count(*) FROM recordings WHERE deleted_at IS NULL") == 0
        assert list(tmp_path.glob("*.wav")) == []
    finally:
        for pool in pools:
            await pool.close()
