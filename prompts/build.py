"""Make every catalog sound exist under <out>: sounds/<lang>/<name>.wav and moh/<name>.wav.

`ensure_prompts` is idempotent and cheap when nothing changed. A manifest records, per file,
a hash of everything the file is made from (text, voice, padding, tone or chord settings,
override content, pipeline version); a file is rebuilt only when that hash changed or the
file is gone. Building runs in a thread pool: the work is espeak-ng and sox subprocesses,
which run in parallel while their threads wait.
"""
from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from pydub import AudioSegment

from prompts import synth
from prompts.audio import (
    PADDING, PIPELINE_VERSION, SEGMENT_GAP_MS, AudioError, decode_file, finish, finish_music,
    from_pcm, silence, trim_silence, wav_problems, write_wav,
)
from prompts.catalog import LANGUAGES, Catalog, MohTrack, Prompt, Tone, Voice, read_catalog
from prompts.overrides import DEFAULT_OVERRIDES_DIR, find_override, group_of, unknown_overrides

MANIFEST = "manifest.json"
Progress = Callable[[int, int], None]        # (files built so far, files to build)


class PromptError(RuntimeError):
    """Some files could not be built; the others were, and the manifest says which."""


@dataclass(frozen=True)
class PromptReport:
    out_dir: Path
    generated: int            # built in this run from the catalog (espeak-ng, sox)
    overridden: int           # built in this run from an operator's recording
    reused: int               # already up to date: not touched
    removed: int = 0          # files of sounds no longer in the catalog, deleted
    unknown_overrides: tuple[str, ...] = ()   # override files matching no catalog name
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return self.generated + self.overridden + self.reused


@dataclass(frozen=True)
class _Job:
    path: str                 # relative to the out dir; the manifest key
    digest: str
    from_override: bool
    build: Callable[[], AudioSegment] = field(compare=False)


def default_out_dir() -> Path:
    return Path(os.environ.get("IVR_STATE_DIR") or ".state").resolve() / "prompts"


def sound_path(lang: str, name: str) -> str:
    return f"sounds/{lang}/{name}.wav"


def moh_path(name: str) -> str:
    return f"moh/{name}.wav"


def expected_paths(catalog: Catalog) -> list[str]:
    sounds = [sound_path(lang, name) for name in catalog.sound_names() for lang in LANGUAGES]
    return sounds + [moh_path(track.name) for track in catalog.moh]


def ensure_prompts(out_dir: Path, overrides_dir: Path | None = None, *, catalog: Catalog | None = None,
                   progress: Progress | None = None, workers: int | None = None) -> PromptReport:
    """Build what is missing or out of date under out_dir; blocking (see ensure_prompts_async).

    overrides_dir None means the repository's prompts/overrides/. Raises PromptError when
    some files could not be built (after building all the others).
    """
    started = time.monotonic()
    catalog = catalog or read_catalog()
    overrides_dir = DEFAULT_OVERRIDES_DIR if overrides_dir is None else overrides_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir):
        previous = _read_manifest(out_dir)
        jobs = plan(catalog, overrides_dir)
        stale = [job for job in jobs if not _up_to_date(out_dir, job, previous)]
        if stale:
            _check_voices(catalog)
        failures = _build_all(out_dir, stale, progress, workers)
        failed = set(failures)
        removed = _remove_orphans(out_dir, previous, {job.path for job in jobs})
        _write_manifest(out_dir, {job.path: job.digest for job in jobs if job.path not in failed})
    if failures:
        lines = "\n".join(f"  {path}: {error}" for path, error in failures.items())
        raise PromptError(f"{len(failures)} of {len(jobs)} files could not be built:\n{lines}")
    built_overrides = sum(job.from_override for job in stale)
    return PromptReport(out_dir=out_dir, generated=len(stale) - built_overrides, overridden=built_overrides,
                        reused=len(jobs) - len(stale), removed=removed,
                        unknown_overrides=unknown_overrides(overrides_dir, catalog),
                        seconds=round(time.monotonic() - started, 2))


async def ensure_prompts_async(out_dir: Path, overrides_dir: Path | None = None, *,
                               catalog: Catalog | None = None, progress: Progress | None = None) -> PromptReport:
    """ensure_prompts in a worker thread, so the event loop keeps serving while files are built.

    Cancelling the awaiting task does not stop the thread: the build runs to its end (every
    file is written atomically, so stopping half-way would gain nothing). `progress` is called
    from that thread.
    """
    return await asyncio.to_thread(ensure_prompts, out_dir, overrides_dir, catalog=catalog, progress=progress)


def check_prompts(out_dir: Path, catalog: Catalog | None = None) -> list[str]:
    """Every catalog sound exists in every language and is an Asterisk-playable WAV; the problems."""
    problems: list[str] = []
    for relative in expected_paths(catalog or read_catalog()):
        path = out_dir / relative
        problems += wav_problems(path) if path.is_file() else [f"{path}: missing"]
    return problems


def _check_voices(catalog: Catalog) -> None:
    try:
        for voice in catalog.voices.values():
            synth.check_voice(voice)
    except synth.SynthError as exc:
        raise PromptError(f"nothing was built: {exc}") from None


def plan(catalog: Catalog, overrides_dir: Path) -> list[_Job]:
    """One job per output file, with the hash of everything it is made from."""
    jobs: list[_Job] = []
    for lang in LANGUAGES:
        for prompt in catalog.prompts:
            override = find_override(overrides_dir, lang, prompt.name)
            jobs.append(_override_job(catalog, lang, prompt.name, override) if override
                        else _speech_job(catalog.voices, lang, prompt))
        for tone in catalog.tones:
            override = find_override(overrides_dir, lang, tone.name)
            jobs.append(_override_job(catalog, lang, tone.name, override) if override
                        else _tone_job(lang, tone))
    jobs += [_moh_job(track) for track in catalog.moh]
    return jobs


def _speech_job(voices: dict[str, Voice], lang: str, prompt: Prompt) -> _Job:
    segments = prompt.segments(lang)
    padding = PADDING[prompt.group]
    recipe = [[s.lang, s.text, voices[s.lang].espeak, voices[s.lang].speed, voices[s.lang].pitch] for s in segments]

    def build() -> AudioSegment:
        gap = silence(SEGMENT_GAP_MS)
        parts = [trim_silence(from_pcm(synth.speak(s.text, voices[s.lang]))) for s in segments]
        return finish(_joined(parts, gap), padding)

    return _Job(sound_path(lang, prompt.name), _digest("speech", recipe, padding), False, build)


def _joined(parts: list[AudioSegment], gap: AudioSegment) -> AudioSegment:
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + gap + part
    return joined


def _tone_job(lang: str, tone: Tone) -> _Job:
    padding = PADDING["tone"]
    return _Job(sound_path(lang, tone.name), _digest("tone", [tone.hz, tone.ms], padding), False,
                lambda: finish(from_pcm(synth.tone(tone.hz, tone.ms)), padding))


def _override_job(catalog: Catalog, lang: str, name: str, source: Path) -> _Job:
    padding = PADDING[group_of(catalog, name)]
    content = hashlib.sha256(source.read_bytes()).hexdigest()
    return _Job(sound_path(lang, name), _digest("override", content, padding), True,
                lambda: finish(decode_file(source), padding))


def _moh_job(track: MohTrack) -> _Job:
    def build() -> AudioSegment:
        chords = [from_pcm(synth.chord(notes, track.chord_s)) for notes in track.chords]
        music = chords[0]
        for chord in chords[1:]:
            # Overlap each chord's fade-out with the next one's fade-in: no dip between chords.
            music = music.append(chord, crossfade=int(track.chord_s * 250))
        return finish_music(music)

    return _Job(moh_path(track.name), _digest("moh", [track.chord_s, track.chords]), False, build)


def _digest(kind: str, *recipe: Any) -> str:
    blob = json.dumps([PIPELINE_VERSION, kind, recipe], ensure_ascii=False, default=repr)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _up_to_date(out_dir: Path, job: _Job, previous: dict[str, str]) -> bool:
    path = out_dir / job.path
    return previous.get(job.path) == job.digest and path.is_file() and path.stat().st_size > 44


def _build_all(out_dir: Path, jobs: list[_Job], progress: Progress | None, workers: int | None) -> dict[str, str]:
    """Build the jobs in parallel; the failures, by path (the others are written)."""
    failures: dict[str, str] = {}
    if not jobs:
        return failures
    # Threads mostly wait on subprocesses, so a few more than cores keeps the CPUs busy.
    pool_size = workers or min(8, 2 * (os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="prompt") as pool:
        futures = {pool.submit(_build_one, out_dir, job): job for job in jobs}
        for done, future in enumerate(as_completed(futures), start=1):
            try:
                future.result()
            except (synth.SynthError, AudioError, OSError) as exc:
                failures[futures[future].path] = str(exc)
            if progress:
                progress(done, len(jobs))
    return failures


def _build_one(out_dir: Path, job: _Job) -> None:
    write_wav(job.build(), out_dir / job.path)


def _remove_orphans(out_dir: Path, previous: dict[str, str], current: set[str]) -> int:
    """Delete files this pipeline made for sounds that left the catalog; nothing else."""
    removed = 0
    root = out_dir.resolve()
    for relative in previous.keys() - current:
        path = (out_dir / relative).resolve()
        # The manifest is a file on disk: never let an edited one point outside out_dir.
        if path.suffix == ".wav" and path.is_relative_to(root) and path.is_file():
            path.unlink()
            removed += 1
    return removed


def _read_manifest(out_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}               # no manifest (or a broken one): everything is rebuilt
    files = data.get("files") if isinstance(data, dict) else None
    return {k: v for k, v in files.items() if isinstance(v, str)} if isinstance(files, dict) else {}


def _write_manifest(out_dir: Path, files: dict[str, str]) -> None:
    path = out_dir / MANIFEST
    temporary = path.with_name(f".{MANIFEST}.tmp")
    body = {"pipeline": PIPELINE_VERSION, "files": dict(sorted(files.items()))}
    temporary.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)


@contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    # Two generators on one out dir (make prompts while the service starts) take turns
    # instead of overwriting each other's manifest.
    with open(out_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
