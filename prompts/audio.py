"""Audio in the one format Asterisk plays without transcoding: 8 kHz, mono, signed 16-bit WAV.

Everything written to sounds/ or moh/ passes through `finish()`: silence trimmed to a fixed
lead-in and tail, level set to one target. Asterisk strings prompts together ("queue-thereare",
"digits/20", "digits/5a", "queue-callswaiting"), so a synthetic digit next to an operator's
recording must sound equally loud and follow without a gap. All functions block.
"""
from __future__ import annotations

import os
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

from pydub import AudioSegment
from pydub.silence import detect_leading_silence

from prompts.synth import RATE, SynthError, run_tool

CHANNELS = 1
SAMPLE_WIDTH = 2                 # bytes: signed 16-bit
TARGET_RMS_DBFS = -20.0          # speech level on the line
PEAK_CEILING_DBFS = -3.0         # never louder than this, whatever the RMS target asks
MOH_RMS_DBFS = -24.0             # music sits under the speech level
MAX_SOURCE_S = 600               # an operator recording longer than this is a mistake
# Part of every manifest hash: bump it when processing changes so every file is rebuilt.
PIPELINE_VERSION = "1"


class AudioError(ValueError):
    """A file is not usable audio; the message says why, for an operator."""


@dataclass(frozen=True)
class Padding:
    lead_ms: int
    tail_ms: int


# Silence around each kind of sound. Menu announcements get a breath before and after;
# fragments that app_queue and say.c play back to back ("hai mươi" + "lăm") get almost none,
# or a number would be read with gaps between its words.
PADDING: dict[str, Padding] = {
    "ivr": Padding(150, 300),
    "queue": Padding(30, 120),
    "digits": Padding(10, 40),
    "tone": Padding(0, 50),
}
SEGMENT_GAP_MS = 350             # between the parts of a prompt spoken in two languages


@dataclass(frozen=True)
class WavInfo:
    rate: int
    channels: int
    sample_width: int
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate if self.rate else 0.0


def from_pcm(pcm: bytes) -> AudioSegment:
    return AudioSegment(data=pcm, sample_width=SAMPLE_WIDTH, frame_rate=RATE, channels=CHANNELS)


def silence(ms: int) -> AudioSegment:
    return AudioSegment.silent(duration=ms, frame_rate=RATE)


def decode_file(path: Path) -> AudioSegment:
    """Any audio ffmpeg reads (WAV of any rate/width/channels, MP3, OGG, ...) -> 8 kHz mono 16-bit."""
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    if not os.access(path, os.R_OK):
        raise AudioError(f"{path}: not readable (permissions)")
    # ffmpeg decodes, mixes down and resamples (with an anti-aliasing filter) in one pass;
    # -map 0:a:0 makes a file without an audio stream (an image, a video-only file) an error.
    command = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0", "-vn",
               "-t", str(MAX_SOURCE_S + 1), "-ac", str(CHANNELS), "-ar", str(RATE),
               "-f", "s16le", "-acodec", "pcm_s16le", "-"]
    try:
        segment = from_pcm(run_tool(command))
    except SynthError as exc:
        raise AudioError(f"{path}: not readable audio ({exc})") from None
    if segment.duration_seconds > MAX_SOURCE_S:
        raise AudioError(f"{path}: longer than {MAX_SOURCE_S // 60} minutes; is this the right file?")
    return segment


def finish(segment: AudioSegment, padding: Padding, rms_dbfs: float = TARGET_RMS_DBFS) -> AudioSegment:
    """Trim silence, set the level, add the group's lead-in and tail: the final prompt."""
    segment = to_telephony(segment)
    if segment.max == 0:
        raise AudioError("the audio is silent")
    trimmed = trim_silence(segment)
    return silence(padding.lead_ms) + set_level(trimmed, rms_dbfs) + silence(padding.tail_ms)


def finish_music(segment: AudioSegment) -> AudioSegment:
    """Music keeps its fades (no trimming) and sits below the speech level."""
    return set_level(to_telephony(segment), MOH_RMS_DBFS)


def to_telephony(segment: AudioSegment) -> AudioSegment:
    # No-ops for audio from synth/decode_file; a guard for segments built any other way.
    return segment.set_channels(CHANNELS).set_frame_rate(RATE).set_sample_width(SAMPLE_WIDTH)


def trim_silence(segment: AudioSegment) -> AudioSegment:
    # "Silence" is relative to the loudest sample: a quiet phone recording with a noise floor
    # at -45 dBFS still loses its dead air, and a clean synthetic prompt loses only true silence.
    threshold = max(segment.max_dBFS - 40.0, -70.0)
    start = detect_leading_silence(segment, silence_threshold=threshold, chunk_size=5)
    end = len(segment) - detect_leading_silence(segment.reverse(), silence_threshold=threshold, chunk_size=5)
    return segment[start:end] if end > start else segment


def set_level(segment: AudioSegment, rms_dbfs: float) -> AudioSegment:
    """Gain to the RMS target, but never past the peak ceiling (no clipping)."""
    if segment.max == 0:
        return segment
    gain = min(rms_dbfs - segment.dBFS, PEAK_CEILING_DBFS - segment.max_dBFS)
    return segment.apply_gain(gain)


def level(segment: AudioSegment) -> tuple[float, float]:
    """(RMS dBFS, peak dBFS), for reports."""
    return round(segment.dBFS, 1), round(segment.max_dBFS, 1)


def write_wav(segment: AudioSegment, path: Path) -> None:
    """Write atomically: Asterisk may be playing the old file, and a crash leaves no half file."""
    segment = to_telephony(segment)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with wave.open(str(temporary), "wb") as out:
            out.setnchannels(CHANNELS)
            out.setsampwidth(SAMPLE_WIDTH)
            out.setframerate(RATE)
            out.writeframes(segment.raw_data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def wav_info(path: Path) -> WavInfo:
    try:
        with wave.open(str(path), "rb") as wav:
            return WavInfo(wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), wav.getnframes())
    except (wave.Error, EOFError, OSError) as exc:
        raise AudioError(f"{path}: not a PCM WAV file ({exc})") from None


def wav_problems(path: Path) -> list[str]:
    """Why Asterisk could not play this file as a slin WAV prompt; empty when it can."""
    try:
        info = wav_info(path)
    except AudioError as exc:
        return [str(exc)]
    wanted = WavInfo(RATE, CHANNELS, SAMPLE_WIDTH, info.frames)
    problems = [] if info == wanted else [
        f"{path}: {info.rate} Hz, {info.channels} channel(s), {8 * info.sample_width}-bit; "
        f"Asterisk needs {RATE} Hz, mono, 16-bit"]
    if info.frames == 0:
        problems.append(f"{path}: no audio (zero length)")
    return problems
