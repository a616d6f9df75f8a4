"""Call recording files on disk: names, safe paths, the directory scan, WAV duration, removal.

Everything here but RecordingFiles.locate is blocking file I/O, called through asyncio.to_thread.
A recording is only ever reached by a file name that came from the database and matches
RECORDING_NAME (digits and dots, then .wav: a linkedid), joined to the recordings directory;
symbolic links are never followed, so no id can reach a file outside that directory.
"""
from __future__ import annotations

import asyncio
import os
import re
import stat
import wave
from dataclasses import dataclass
from pathlib import Path

RECORDING_NAME = re.compile(r"^[0-9]+(?:\.[0-9]+)*\.wav$")
WAV_HEADER_BYTES = 44


class UnsafeRecordingName(ValueError):
    """A file name that is not <linkedid>.wav (could name another file or directory)."""


@dataclass(frozen=True)
class RecordingFile:
    file_name: str
    size_bytes: int
    mtime: float

    @property
    def linkedid(self) -> str:
        return self.file_name[: -len(".wav")]


def recording_path(directory: Path, file_name: str) -> Path:
    """directory / file_name, refusing any name that is not a plain <linkedid>.wav."""
    if not isinstance(file_name, str) or not RECORDING_NAME.fullmatch(file_name):
        raise UnsafeRecordingName(f"not a recording file name: {file_name!r}")
    return directory / file_name


def scan(directory: Path) -> list[RecordingFile]:
    """Regular files named <linkedid>.wav (blocking). A missing directory has no recordings."""
    found = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if not RECORDING_NAME.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except FileNotFoundError:   # removed since the listing
                    continue
                found.append(RecordingFile(entry.name, info.st_size, info.st_mtime))
    except FileNotFoundError:
        return []
    return found


def wav_duration(path: Path) -> float | None:
    """Seconds of audio (blocking), None when the file is not a readable PCM WAV.

    A header that still says 0 frames (the writer has not closed it) is read from the data size."""
    try:
        with wave.open(str(path), "rb") as wav:
            rate, frames = wav.getframerate(), wav.getnframes()
            frame_bytes = wav.getsampwidth() * wav.getnchannels()
    except (wave.Error, EOFError, OSError):
        return None
    if rate <= 0 or frame_bytes <= 0:
        return None
    if frames == 0:
        frames = max(0, path.stat().st_size - WAV_HEADER_BYTES) // frame_bytes
    return frames / rate


def regular_file(path: Path) -> Path | None:
    """path when it is a regular file and not a symbolic link (blocking), else None."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    return path if stat.S_ISREG(info.st_mode) else None


def remove(path: Path) -> bool:
    """Unlink (blocking); True when removed now, False when it was already gone."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


class RecordingFiles:
    """The console's view of the recordings directory (agent_console/api/recordings.py, RecordingStore)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    async def locate(self, file_name: str) -> Path | None:
        """The recording's path when its file exists; raises UnsafeRecordingName for a bad name."""
        return await asyncio.to_thread(regular_file, recording_path(self.directory, file_name))
