"""Sound from external tools: espeak-ng speaks, sox resamples and synthesises tones and chords.

Every function returns raw PCM in the telephony format (8 kHz, mono, signed 16-bit
little-endian) so audio.py wraps it without guessing. sox does the resampling because it
low-pass filters before decimating; pydub's audioop.ratecv does not, and the aliased
fricatives hiss on a phone line. These functions block: call them from a worker thread.
"""
from __future__ import annotations

import re
import subprocess
from typing import Sequence

from prompts.catalog import Voice

RATE = 8000
TIMEOUT_S = 60.0
_SOX = ("sox", "-V1")          # -V1: errors only; espeak's streamed WAV header makes sox chatty
_PCM_OUT = ("-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-L", "-")
_INSTALL_HINT = {"espeak-ng": "espeak-ng", "sox": "sox", "ffmpeg": "ffmpeg"}


class SynthError(RuntimeError):
    """An external tool is missing, failed or produced nothing."""


def speak(text: str, voice: Voice) -> bytes:
    """Text -> espeak-ng WAV (22.05 kHz) -> sox -> 8 kHz PCM."""
    # The text goes through stdin, as UTF-8 (-b 1) whatever the locale: an argument starting
    # with '-' would be read as an option, and a C locale would garble the diacritics.
    wav = run_tool(
        ["espeak-ng", "-b", "1", "-v", voice.espeak, "-s", str(voice.speed), "-p", str(voice.pitch),
         "--stdin", "--stdout"],
        text.encode("utf-8"),
    )
    return run_tool([*_SOX, "-t", "wav", "-", *_PCM_OUT], wav)


def check_voice(voice: Voice) -> None:
    """Fail unless espeak-ng has this voice.

    espeak-ng silently speaks with its default (English) voice when -v names a voice it
    does not have, so a typo in the catalog would otherwise give Vietnamese text an English
    accent without any error.
    """
    listing = run_tool(["espeak-ng", f"--voices={voice.espeak}"]).decode("utf-8", "replace")
    # --voices=<x> lists voices by language prefix (--voices=no-such shows Norwegian, "no"),
    # so look for the exact name among each voice's language, voice name, file and aliases.
    wanted = voice.espeak.lower()
    for line in listing.lower().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 5 and wanted in {fields[1], fields[3], fields[4], *re.findall(r"\((\S+) \d+\)", line)}:
            return
    raise SynthError(f"espeak-ng has no voice {voice.espeak!r} for {voice.lang!r} "
                         "(`espeak-ng --voices` lists them)")


def tone(hz: int, ms: int) -> bytes:
    """A sine beep with 10 ms ramps (a hard edge clicks)."""
    seconds = f"{ms / 1000:.3f}"
    return run_tool([*_SOX, "-n", *_PCM_OUT, "synth", seconds, "sine", str(hz),
                     "fade", "h", "0.01", seconds, "0.01"])


def chord(frequencies: Sequence[float], seconds: float) -> bytes:
    """A soft sustained chord: one sine per note, slow tremolo, long fades, a little reverb."""
    # sox makes one synth voice per input channel, so the null input gets one channel per
    # note and the mono output mixes them down.
    voices = [arg for hz in frequencies for arg in ("sine", f"{hz:.2f}")]
    length = f"{seconds:.2f}"
    return run_tool([*_SOX, "-c", str(len(frequencies)), "-r", str(RATE), "-n", *_PCM_OUT,
                     "synth", length, *voices,
                     "tremolo", "0.4", "15",
                     "fade", "h", f"{seconds * 0.25:.2f}", length, f"{seconds * 0.35:.2f}",
                     "reverb", "35"])


def run_tool(command: Sequence[str], stdin: bytes | None = None) -> bytes:
    """Run a tool, return its stdout; any failure is a SynthError naming the tool."""
    tool = command[0]
    try:
        done = subprocess.run(list(command), input=stdin, capture_output=True,
                              timeout=TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise SynthError(f"{tool} is not installed (apt-get install {_INSTALL_HINT.get(tool, tool)})") from None
    except subprocess.TimeoutExpired:
        raise SynthError(f"{tool} took more than {TIMEOUT_S:.0f} s") from None
    if done.returncode != 0 or not done.stdout:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = detail[-1] if detail else f"exit status {done.returncode}, no output"
        raise SynthError(f"{tool} failed: {reason}")
    return done.stdout
