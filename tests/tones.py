"""Which tones a recording holds: the amplitude of a sine at a given frequency (Goertzel), no numpy.

Used by the browser phone's test: the call's MixMonitor file must carry the browser's tone and the
caller's, each well above the level at frequencies nobody played.
"""
from __future__ import annotations

import math
import struct
import wave
from pathlib import Path


def read_wav(path: Path) -> tuple[list[float], int]:
    """Mono 16-bit samples scaled to -1..1, and the sample rate."""
    with wave.open(str(path), "rb") as source:
        if source.getsampwidth() != 2 or source.getnchannels() != 1:
            raise ValueError(f"{path}: expected mono 16-bit PCM")
        frames = source.readframes(source.getnframes())
        rate = source.getframerate()
    count = len(frames) // 2
    return [s / 32768 for s in struct.unpack(f"<{count}h", frames[:count * 2])], rate


def tone_amplitude(samples: list[float], rate: int, hz: float) -> float:
    """Amplitude (0..1) of the sine of `hz` in the samples (Goertzel over all of them, Hann window)."""
    n = len(samples)
    if n == 0:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for index, sample in enumerate(samples):
        windowed = sample * (0.5 - 0.5 * math.cos(2 * math.pi * index / n))
        s1, s2 = windowed + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return 2 * math.sqrt(max(power, 0.0)) / (n * 0.5)


def tone_levels(path: Path, frequencies: tuple[float, ...]) -> dict[float, float]:
    samples, rate = read_wav(path)
    return {hz: tone_amplitude(samples, rate, hz) for hz in frequencies}
