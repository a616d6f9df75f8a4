"""tests/tones.py finds a tone that is there and not one that is not (literal synthesized signals)."""
from __future__ import annotations

import math
import struct
import wave

from tests.tones import tone_amplitude, tone_levels


def _sine(hz: float, amplitude: float, rate: int = 8000, seconds: float = 1.0) -> list[float]:
    return [amplitude * math.sin(2 * math.pi * hz * i / rate) for i in range(int(rate * seconds))]


def test_the_amplitude_of_a_present_tone_is_measured_and_an_absent_one_is_near_zero():
    samples = [a + b for a, b in zip(_sine(440, 0.3), _sine(1000, 0.2))]
    assert abs(tone_amplitude(samples, 8000, 440) - 0.3) < 0.03
    assert abs(tone_amplitude(samples, 8000, 1000) - 0.2) < 0.03
    assert tone_amplitude(samples, 8000, 700) < 0.01


def test_levels_are_read_from_a_wav_file(tmp_path):
    path = tmp_path / "t.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", int(s * 32767)) for s in _sine(1000, 0.5)))
    levels = tone_levels(path, (440, 1000))
    assert levels[1000] > 0.4 and levels[440] < 0.01
