"""Call recordings without servers: who may play, which recordings retention selects, when a
file counts as finished, and that no file name can reach outside the recordings directory."""
from __future__ import annotations

import os
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent_console.api.audit_log import may_read_audit
from agent_console.api.recordings import may_play
from agent_console.keys import Principal
from ivr.config import Settings, SettingsError
from recordings.call_files import (
    RecordingFile,
    RecordingFiles,
    UnsafeRecordingName,
    recording_path,
    regular_file,
    scan,
    wav_duration,
)
from recordings.call_index import created_at, is_finished
from recordings.call_retention import RecordingRetention, is_expired, retention_cutoff

AGENT, OTHER_AGENT = Principal("1001", "agent", "t"), Principal("1002", "agent", "t")
SUPERVISOR, ADMIN = Principal("2001", "supervisor", "t"), Principal("3001", "admin", "t")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def write_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\x00\x01" * int(seconds * rate))


# -- permissions ---------------------------------------------------------------------------------

def test_supervisors_and_admins_may_play_every_recording():
    assert all(may_play(p, agent) for p in (SUPERVISOR, ADMIN) for agent in ("1001", "1002", None))


def test_an_agent_may_play_only_the_calls_they_took():
    assert may_play(AGENT, "1001") is True
    assert may_play(OTHER_AGENT, "1001") is False
    assert may_play(AGENT, None) is False          # call unknown: only supervisors and admins
    assert may_play(Principal("1001", "guest", "t"), "1001") is False   # an unknown role gets nothing


def test_only_admins_read_the_access_log():
    assert [may_read_audit(p) for p in (AGENT, SUPERVISOR, ADMIN)] == [False, False, True]


# -- retention selection -------------------------------------------------------------------------

def test_retention_expires_strictly_older_than_n_days():
    assert retention_cutoff(NOW, 90) == NOW - timedelta(days=90)
    assert is_expired(NOW - timedelta(days=90, seconds=1), NOW, 90) is True
    assert is_expired(NOW - timedelta(days=90), NOW, 90) is False       # exactly N days: kept
    assert is_expired(NOW - timedelta(days=89), NOW, 90) is False
    assert is_expired(NOW - timedelta(days=2), NOW, 1) is True


def test_retention_refuses_less_than_a_day():
    with pytest.raises(ValueError):
        retention_cutoff(NOW, 0)
    with pytest.raises(ValueError):
        RecordingRetention(None, Path("/nonexistent"), 0)


def test_retention_counts_from_the_call_start_else_the_file_mtime():
    file = RecordingFile("1700000000.5.wav", 100, mtime=(NOW - timedelta(days=3)).timestamp())
    started = NOW - timedelta(days=100)
    assert created_at(file, {"started_at": started, "ended_at": None}) == started
    assert created_at(file, None) == NOW - timedelta(days=3)


def test_a_file_is_indexed_once_its_call_ended_and_it_is_quiet_or_after_it_settled():
    now = 10_000.0
    fresh, quiet, settled = (RecordingFile("1.2.wav", 1, now - age) for age in (0.5, 3, 200))
    ended, running = {"ended_at": NOW, "started_at": NOW}, {"ended_at": None, "started_at": NOW}
    assert is_finished(quiet, ended, now, quiet_s=2, settle_s=120) is True
    assert is_finished(fresh, ended, now, quiet_s=2, settle_s=120) is False   # MixMonitor still closing
    assert is_finished(quiet, running, now, quiet_s=2, settle_s=120) is False
    assert is_finished(quiet, None, now, quiet_s=2, settle_s=120) is False
    assert is_finished(settled, None, now, quiet_s=2, settle_s=120) is True   # call never seen


# -- path safety ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../1.wav", "/etc/passwd", "1.wav/../../x.wav", "..wav", ".wav", "1.WAV",
                                  "1.wav\x00", "1.wav\n", "sub/1.wav", "1..2.wav", "", "١٢.wav", "1.mp3"])
def test_a_name_that_is_not_linkedid_wav_is_refused(name, tmp_path):
    with pytest.raises(UnsafeRecordingName):
        recording_path(tmp_path, name)


def test_a_linkedid_name_stays_inside_the_directory(tmp_path):
    path = recording_path(tmp_path, "1700000000.123.wav")
    assert path.parent == tmp_path and path.name == "1700000000.123.wav"


async def test_locate_never_follows_a_symbolic_link_out_of_the_directory(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not a recording")
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    os.symlink(secret, recordings / "1700000000.1.wav")
    write_wav(recordings / "1700000000.2.wav", 0.1)
    files = RecordingFiles(recordings)
    assert await files.locate("1700000000.1.wav") is None
    assert await files.locate("1700000000.2.wav") == recordings / "1700000000.2.wav"
    assert await files.locate("1700000000.3.wav") is None
    with pytest.raises(UnsafeRecordingName):
        await files.locate("../secret.txt")
    assert regular_file(recordings) is None                     # a directory is not a recording


def test_scan_lists_only_regular_linkedid_wav_files(tmp_path):
    write_wav(tmp_path / "1700000000.7.wav", 0.25)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "1700000000.8.wav.tmp").write_text("x")
    (tmp_path / "1700000000.9.wav").mkdir()
    os.symlink(tmp_path / "notes.txt", tmp_path / "1700000001.0.wav")
    found = scan(tmp_path)
    assert [(f.file_name, f.linkedid) for f in found] == [("1700000000.7.wav", "1700000000.7")]
    assert found[0].size_bytes == (tmp_path / "1700000000.7.wav").stat().st_size
    assert scan(tmp_path / "missing") == []


# -- duration ------------------------------------------------------------------------------------

def test_duration_is_read_from_the_wav_header(tmp_path):
    write_wav(tmp_path / "1.wav", 2.5)
    assert wav_duration(tmp_path / "1.wav") == pytest.approx(2.5)


def test_a_header_not_yet_closed_is_measured_by_the_data_size(tmp_path):
    path = tmp_path / "1.wav"
    write_wav(path, 1.0)
    data = bytearray(path.read_bytes())
    data[40:44] = (0).to_bytes(4, "little")      # data chunk size still 0, as while recording
    path.write_bytes(bytes(data))
    assert wav_duration(path) == pytest.approx(1.0)


def test_a_file_that_is_not_a_wav_has_no_duration(tmp_path):
    (tmp_path / "1.wav").write_bytes(b"garbage" * 10)
    assert wav_duration(tmp_path / "1.wav") is None


# -- the setting ---------------------------------------------------------------------------------

def test_retention_days_setting_defaults_to_90_and_is_validated(tmp_path):
    base = {"IVR_STATE_DIR": str(tmp_path), "IVR_AMI_SECRET": "s"}
    assert Settings.from_env(base).recording_retention_days == 90
    assert Settings.from_env({**base, "IVR_RECORDING_RETENTION_DAYS": "3650"}).recording_retention_days == 3650
    for bad in ("0", "3651", "-1", "ninety"):
        with pytest.raises(SettingsError, match="IVR_RECORDING_RETENTION_DAYS"):
            Settings.from_env({**base, "IVR_RECORDING_RETENTION_DAYS": bad})
