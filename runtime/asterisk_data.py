"""The data directory of an Asterisk instance: sounds, music on hold, the package's data.

Paths inside the root (what Asterisk sees) vs host paths (`<root>/<path>`): links are relative
so they resolve both inside the chroot and on the host; our own prompts are copied in (a
chroot cannot follow links out of itself).
Sounds: data/sounds/<lang>/ = our prompts (<sounds_dir>/sounds/<lang>/...) over the core
sounds of that language; a prompt replaces the core sound of the same name in any format.
"""
from __future__ import annotations

import os
import shutil
import wave
from pathlib import Path

CORE_SOUNDS_DIRS = ("/usr/share/asterisk/sounds", "/var/lib/asterisk/sounds")
CORE_MOH_DIRS = ("/usr/share/asterisk/moh", "/var/lib/asterisk/moh")
CORE_DATA_DIRS = ("/usr/share/asterisk", "/var/lib/asterisk")
# Entries of our data dir that we build ourselves; the rest (documentation, needed by the
# core at start-up, rest-api, static-http, ...) link to the package's data dir.
OWN_DATA_ENTRIES = ("sounds", "moh", "agi-bin")


def in_root(root: Path, path_in_root: str) -> Path:
    """Host path of a path inside the root (the root "/" is the host itself)."""
    return root / path_in_root.lstrip("/")


def resolve_in_root(root: Path, path_in_root: str, _depth: int = 0) -> str | None:
    """Follow symlinks of a path inside the root as the chroot would (absolute targets are
    relative to the root). Returns the resolved path inside the root, or None if missing."""
    if _depth > 20:
        return None
    parts = [p for p in path_in_root.split("/") if p]
    current = ""
    for index, part in enumerate(parts):
        candidate = f"{current}/{part}"
        host = in_root(root, candidate)
        if host.is_symlink():
            target = os.readlink(host)
            rest = "/".join(parts[index + 1:])
            base = target if target.startswith("/") else os.path.normpath(f"{current}/{target}")
            return resolve_in_root(root, f"{base}/{rest}" if rest else base, _depth + 1)
        if not host.exists():
            return None
        current = candidate
    return current or "/"


def first_existing(root: Path, candidates: tuple[str, ...]) -> str | None:
    for candidate in candidates:
        resolved = resolve_in_root(root, candidate)
        if resolved and in_root(root, resolved).is_dir():
            return resolved
    return None


def link_core_data(root: Path, data_in_root: str) -> None:
    """Link the package's data entries (documentation, which the core needs at start-up,
    rest-api, static-http, ...) into our data dir, except those we build ourselves."""
    core = first_existing(root, CORE_DATA_DIRS)
    if core is None:
        return
    data = in_root(root, data_in_root)
    for entry in in_root(root, core).iterdir():
        link = data / entry.name
        if entry.name in OWN_DATA_ENTRIES or link.exists() or link.is_symlink():
            continue
        _relative_symlink(entry, link)


def render_sounds(root: Path, data_in_root: str, sounds_dir: Path | None) -> None:
    """data/sounds/<lang>/ = our prompts (copied) over the core sounds (relative symlinks,
    valid both inside the chroot and on the host)."""
    sounds = in_root(root, f"{data_in_root}/sounds")
    if sounds.exists():
        shutil.rmtree(sounds)
    sounds.mkdir(parents=True)
    ours_root = sounds_dir / "sounds" if sounds_dir else None
    languages = {"en"}
    if ours_root and ours_root.is_dir():
        languages |= {p.name for p in ours_root.iterdir() if p.is_dir()}
    core_root = first_existing(root, CORE_SOUNDS_DIRS)
    for language in sorted(languages):
        core = None
        if core_root:
            core = resolve_in_root(root, f"{core_root}/{language}")
        ours = ours_root / language if ours_root else None
        _merge_tree(sounds / language,
                    ours if ours and ours.is_dir() else None,
                    in_root(root, core) if core and in_root(root, core).is_dir() else None)


def render_moh(root: Path, data_in_root: str, sounds_dir: Path | None) -> None:
    """data/moh/ = our music files, else the package's, else a generated silence file."""
    moh = in_root(root, f"{data_in_root}/moh")
    if moh.exists():
        shutil.rmtree(moh)
    moh.mkdir(parents=True)
    ours = sounds_dir / "moh" if sounds_dir else None
    count = 0
    if ours and ours.is_dir():
        for source in sorted(ours.iterdir()):
            if source.is_file():
                shutil.copyfile(source, moh / source.name)
                count += 1
    if count == 0:
        core = first_existing(root, CORE_MOH_DIRS)
        if core:
            for source in sorted(in_root(root, core).iterdir()):
                if source.is_file():
                    _relative_symlink(source, moh / source.name)
                    count += 1
    if count == 0:
        _write_silence(moh / "silence.wav", seconds=10)


def _merge_tree(dest: Path, ours: Path | None, core: Path | None) -> None:
    """dest gets copies of `ours` and relative links to `core` entries whose sound name
    (file name without extension) ours does not have; directories present in both merge."""
    dest.mkdir(parents=True, exist_ok=True)
    our_stems: set[str] = set()
    our_dirs: set[str] = set()
    if ours is not None:
        for entry in ours.iterdir():
            if entry.is_dir():
                our_dirs.add(entry.name)
            elif entry.is_file():
                shutil.copyfile(entry, dest / entry.name)
                our_stems.add(entry.name.split(".", 1)[0])
    if core is not None:
        for entry in core.iterdir():
            if entry.name in our_dirs and entry.is_dir():
                continue
            if entry.is_file() and entry.name.split(".", 1)[0] in our_stems:
                continue
            _relative_symlink(entry, dest / entry.name)
    for name in our_dirs:
        core_sub = core / name if core is not None and (core / name).is_dir() else None
        _merge_tree(dest / name, ours / name if ours else None, core_sub)


def _relative_symlink(target: Path, link: Path) -> None:
    link.symlink_to(os.path.relpath(target, link.parent))


def _write_silence(path: Path, seconds: int) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * 8000 * seconds)
