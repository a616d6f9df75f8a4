"""Operator overrides: a real recording that replaces a synthetic prompt.

Overrides live in <overrides>/<lang>/<name>.wav, by default prompts/overrides/ in the
repository so that operators commit them with the rest of the configuration. `replace`
validates everything before writing anything: a wrong language, an unknown name or a file
that is not audio leaves the overrides directory exactly as it was.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from prompts.audio import PADDING, AudioError, decode_file, finish, level, write_wav
from prompts.catalog import LANGUAGES, Catalog, read_catalog

DEFAULT_OVERRIDES_DIR = Path(__file__).with_name("overrides")
_NOT_OVERRIDES = {"README.md", ".gitkeep"}


class OverrideError(ValueError):
    """The operator's request cannot be carried out; the message says what to fix."""


@dataclass(frozen=True)
class Replaced:
    path: Path
    duration_s: float
    rms_dbfs: float
    peak_dbfs: float


def override_path(overrides_dir: Path, lang: str, name: str) -> Path:
    return overrides_dir / lang / f"{name}.wav"


def group_of(catalog: Catalog, name: str) -> str:
    """The padding group of a per-language sound: its prompt group, or "tone"."""
    prompt = catalog.prompt(name)
    return prompt.group if prompt else "tone"


def replace_prompt(lang: str, name: str, source: Path, overrides_dir: Path | None = None,
                   catalog: Catalog | None = None) -> Replaced:
    """Normalise `source` like a generated prompt and store it as the override of (lang, name)."""
    catalog = catalog or read_catalog()
    validate_target(catalog, lang, name)
    try:
        decoded = decode_file(source)
    except AudioError as exc:
        raise OverrideError(str(exc)) from None
    try:
        segment = finish(decoded, PADDING[group_of(catalog, name)])
    except AudioError as exc:
        raise OverrideError(f"{source}: {exc}") from None
    path = override_path(overrides_dir or DEFAULT_OVERRIDES_DIR, lang, name)
    write_wav(segment, path)
    rms, peak = level(segment)
    return Replaced(path, round(segment.duration_seconds, 2), rms, peak)


def revert_prompt(lang: str, name: str, overrides_dir: Path | None = None,
                  catalog: Catalog | None = None) -> Path:
    """Delete the override of (lang, name): the next generate speaks the catalog text again."""
    validate_target(catalog or read_catalog(), lang, name)
    path = override_path(overrides_dir or DEFAULT_OVERRIDES_DIR, lang, name)
    if not path.is_file():
        raise OverrideError(f"{lang} {name} has no override ({path} does not exist)")
    path.unlink()
    return path


def validate_target(catalog: Catalog, lang: str, name: str) -> None:
    if lang not in LANGUAGES:
        raise OverrideError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    names = catalog.sound_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=3)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise OverrideError(f"unknown prompt name {name!r}.{hint} "
                            "`python -m prompts list` shows every name")


def find_override(overrides_dir: Path, lang: str, name: str) -> Path | None:
    path = override_path(overrides_dir, lang, name)
    return path if path.is_file() else None


def unknown_overrides(overrides_dir: Path, catalog: Catalog) -> tuple[str, ...]:
    """Files in the overrides directory that no generate will use (a typo in a name, a .mp3)."""
    if not overrides_dir.is_dir():
        return ()
    expected = {f"{lang}/{name}.wav" for lang in LANGUAGES for name in catalog.sound_names()}
    found = (p.relative_to(overrides_dir).as_posix() for p in overrides_dir.rglob("*") if p.is_file())
    return tuple(sorted(f for f in found if f not in expected and f not in _NOT_OVERRIDES))
