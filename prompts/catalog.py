"""The prompt catalog: what every sound says, in which voice, read from catalog.toml.

The catalog is data, not code, so a text can be corrected (or handed to a voice talent as a
script) without touching Python. Loading validates it completely: a typo in a name or a
missing translation is an error at start-up, not a silent gap in a live menu.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LANGUAGES: tuple[str, ...] = ("vi", "en")
CATALOG_PATH = Path(__file__).with_name("catalog.toml")

# Asterisk sound names: path segments of letters, digits, '-' and '_'; no '..', no extension.
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*$")
_NOTE = re.compile(r"^([A-G])([#b]?)(-?\d)$")
_SEMITONES = {"C": -9, "D": -7, "E": -5, "F": -4, "G": -2, "A": 0, "B": 2}
PROMPT_GROUPS: tuple[str, ...] = ("ivr", "queue", "digits")


class CatalogError(ValueError):
    """catalog.toml is malformed; the message names the entry."""


@dataclass(frozen=True)
class Voice:
    lang: str
    espeak: str          # espeak-ng voice name (-v)
    speed: int           # words per minute (-s)
    pitch: int           # 0-99 (-p)


@dataclass(frozen=True)
class Segment:
    lang: str            # the voice that speaks it: a prompt may switch language mid-way
    text: str


@dataclass(frozen=True)
class Prompt:
    name: str            # the Asterisk sound name, e.g. "1022/menu", "digits/5"
    group: str           # "ivr" (our menu), "queue" (app_queue) or "digits" (say.c)
    vi: tuple[Segment, ...]
    en: tuple[Segment, ...]

    def segments(self, lang: str) -> tuple[Segment, ...]:
        if lang not in LANGUAGES:
            raise KeyError(lang)
        return self.vi if lang == "vi" else self.en

    def text(self, lang: str) -> str:
        return " ".join(segment.text for segment in self.segments(lang))


@dataclass(frozen=True)
class Tone:
    name: str
    hz: int
    ms: int


@dataclass(frozen=True)
class MohTrack:
    name: str
    chord_s: float
    chords: tuple[tuple[float, ...], ...]     # frequencies in Hz, one tuple per chord


@dataclass(frozen=True)
class Catalog:
    voices: dict[str, Voice]
    prompts: tuple[Prompt, ...]
    tones: tuple[Tone, ...]
    moh: tuple[MohTrack, ...]

    def prompt(self, name: str) -> Prompt | None:
        return next((p for p in self.prompts if p.name == name), None)

    def sound_names(self) -> tuple[str, ...]:
        """Every name that exists once per language (prompts and tones)."""
        return tuple(p.name for p in self.prompts) + tuple(t.name for t in self.tones)


def load_catalog() -> list[Prompt]:
    """The spoken prompts of the shipped catalog."""
    return list(read_catalog().prompts)


def read_catalog(path: Path | None = None) -> Catalog:
    source = path or CATALOG_PATH
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{source}: {exc}") from exc
    return parse_catalog(data)


def parse_catalog(data: dict[str, Any]) -> Catalog:
    voices = _voices(data.get("voices", {}))
    prompts = tuple(
        _prompt(name, group, entry)
        for group in PROMPT_GROUPS
        for name, entry in _table(data, group).items()
    )
    tones = tuple(_tone(name, entry) for name, entry in _table(data, "tones").items())
    moh = tuple(_moh(name, entry) for name, entry in _table(data, "moh").items())
    _unique([*(p.name for p in prompts), *(t.name for t in tones)])
    return Catalog(voices=voices, prompts=prompts, tones=tones, moh=moh)


def note_hz(note: str) -> float:
    """'A4' -> 440.0, 'C4' -> 261.63, 'F#2', 'Bb3': equal temperament around A4."""
    match = _NOTE.match(note)
    if not match:
        raise CatalogError(f"not a note: {note!r} (write e.g. C4, F#3, Bb2)")
    letter, accidental, octave = match.groups()
    semitone = _SEMITONES[letter] + {"#": 1, "b": -1, "": 0}[accidental] + 12 * (int(octave) - 4)
    return round(440.0 * 2 ** (semitone / 12), 2)


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise CatalogError(f"[{key}] must be a table")
    return value


def _voices(raw: dict[str, Any]) -> dict[str, Voice]:
    voices: dict[str, Voice] = {}
    for lang in LANGUAGES:
        entry = raw.get(lang)
        if not isinstance(entry, dict) or not isinstance(entry.get("espeak"), str):
            raise CatalogError(f"[voices.{lang}] needs espeak = \"<voice>\"")
        speed, pitch = entry.get("speed", 150), entry.get("pitch", 50)
        if not (isinstance(speed, int) and 80 <= speed <= 450 and isinstance(pitch, int) and 0 <= pitch <= 99):
            raise CatalogError(f"[voices.{lang}] speed must be 80-450 and pitch 0-99")
        voices[lang] = Voice(lang, entry["espeak"], speed, pitch)
    return voices


def _prompt(name: str, group: str, entry: Any) -> Prompt:
    _check_name(name)
    if not isinstance(entry, dict) or set(entry) != set(LANGUAGES):
        raise CatalogError(f"{name}: needs exactly the keys {', '.join(LANGUAGES)}")
    vi, en = (_segments(name, lang, entry[lang]) for lang in LANGUAGES)
    return Prompt(name=name, group=group, vi=vi, en=en)


def _segments(name: str, lang: str, value: Any) -> tuple[Segment, ...]:
    parts = value if isinstance(value, list) else [value]
    segments = tuple(_segment(name, lang, part) for part in parts)
    if not segments:
        raise CatalogError(f"{name}.{lang}: empty text")
    return segments


def _segment(name: str, lang: str, part: Any) -> Segment:
    if isinstance(part, dict) and len(part) == 1:
        (lang, part), = part.items()
        if lang not in LANGUAGES:
            raise CatalogError(f"{name}: segment in unknown language {lang!r}")
    if not isinstance(part, str) or not part.strip():
        raise CatalogError(f"{name}.{lang}: each segment must be non-empty text or {{ <lang> = \"text\" }}")
    return Segment(lang, " ".join(part.split()))


def _tone(name: str, entry: Any) -> Tone:
    _check_name(name)
    hz, ms = (entry.get(k) if isinstance(entry, dict) else None for k in ("hz", "ms"))
    if not (isinstance(hz, int) and 100 <= hz <= 3400 and isinstance(ms, int) and 50 <= ms <= 5000):
        raise CatalogError(f"tone {name}: hz must be 100-3400 (a phone line's band) and ms 50-5000")
    return Tone(name, hz, ms)


def _moh(name: str, entry: Any) -> MohTrack:
    if not isinstance(entry, dict) or not re.fullmatch(r"[a-z0-9_-]+", name):
        raise CatalogError(f"moh {name}: must be a table with a plain name")
    chord_s, chords = entry.get("chord_s"), entry.get("chords")
    if not (isinstance(chord_s, (int, float)) and 1 <= chord_s <= 20):
        raise CatalogError(f"moh {name}: chord_s must be 1-20 seconds")
    if not isinstance(chords, list) or not chords or not all(isinstance(c, list) and c for c in chords):
        raise CatalogError(f"moh {name}: chords must be a list of note lists")
    return MohTrack(name, float(chord_s), tuple(tuple(note_hz(str(n)) for n in chord) for chord in chords))


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise CatalogError(f"bad sound name {name!r}: lower-case path like 1022/menu, no extension")


def _unique(names: Any) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise CatalogError(f"{name}: defined twice")
        seen.add(name)
