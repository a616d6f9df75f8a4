"""The prompts pipeline against the real tools: espeak-ng, sox, ffmpeg, in temporary directories."""
from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import unicodedata
import wave
from pathlib import Path

import pytest
from pydub import AudioSegment

from prompts.__main__ import main
from prompts.audio import PEAK_CEILING_DBFS, TARGET_RMS_DBFS
from prompts.build import (
    MANIFEST, PromptError, PromptReport, check_prompts, ensure_prompts, ensure_prompts_async,
    expected_paths, sound_path,
)
from prompts.catalog import LANGUAGES, Catalog, load_catalog, read_catalog

SMALL = ("1022/menu", "1022/goodbye", "digits/5")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return read_catalog()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> tuple[Path, PromptReport]:
    """The full catalog, generated once for the module (a few seconds)."""
    out = tmp_path_factory.mktemp("prompts")
    report = ensure_prompts(out, tmp_path_factory.mktemp("no-overrides"), catalog=catalog)
    return out, report


@pytest.fixture
def small(catalog: Catalog) -> Catalog:
    """Three prompts (one with a segment in the other language), no tones, no music: fast."""
    return dataclasses.replace(catalog, prompts=tuple(p for p in catalog.prompts if p.name in SMALL),
                               tones=(), moh=())


@pytest.fixture
def overrides(tmp_path: Path) -> Path:
    path = tmp_path / "overrides"
    path.mkdir()
    return path


def wav_format(path: Path) -> tuple[int, int, int, int]:
    with wave.open(str(path), "rb") as wav:
        return wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), wav.getnframes()


def mtimes(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*.wav")}


def stereo_recording(directory: Path, suffix: str) -> Path:
    """A 1.5 s stereo 44.1 kHz recording, as a WAV or (through ffmpeg) an MP3."""
    wav = directory / "source-stereo.wav"
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", str(wav),
                    "synth", "1.5", "sine", "300", "sine", "500"], check=True)
    if suffix == ".wav":
        return wav
    target = directory / f"source{suffix}"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-b:a", "96k", str(target)], check=True)
    return target


def probe(path: Path) -> dict[str, str]:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                          "stream=sample_rate,channels,codec_name", "-of", "json", str(path)],
                         check=True, capture_output=True, text=True).stdout
    return {k: str(v) for k, v in json.loads(out)["streams"][0].items()}


# --- the catalog -------------------------------------------------------------------------


def test_catalog_has_every_name_the_dialplan_and_app_queue_use() -> None:
    names = {p.name for p in load_catalog()}
    menu = {f"1022/{n}" for n in ("welcome", "menu", "invalid", "no-input", "language-switched",
                                  "branch-cdc", "branch-doctors", "branch-violations", "emergency-connecting",
                                  "emergency-fallback", "leave-message", "message-saved", "goodbye",
                                  "default-branch", "survey", "survey-thanks")}
    queue = {f"queue-{n}" for n in ("youarenext", "thereare", "callswaiting", "holdtime", "minutes", "minute",
                                    "seconds", "thankyou", "less-than", "periodic-announce")}
    digits = {f"digits/{n}" for n in [*range(21), *range(30, 100, 10), "hundred"]}
    assert menu | queue | digits <= names


def test_vietnamese_texts_have_diacritics_and_are_composed(catalog: Catalog) -> None:
    for prompt in catalog.prompts:
        vietnamese = [s.text for lang in LANGUAGES for s in prompt.segments(lang) if s.lang == "vi"]
        assert vietnamese, prompt.name
        for text in vietnamese:
            assert unicodedata.is_normalized("NFC", text), prompt.name
            if prompt.group != "digits":     # "ba", "hai" are plain ASCII words
                assert any(unicodedata.decomposition(c) for c in text), f"{prompt.name}: {text}"
    menu = catalog.prompt("1022/menu")
    assert menu is not None
    for option in ("Cấp cứu một một năm, bấm 1", "Kiểm soát bệnh tật, CDC, bấm 2", "Thầy thuốc đồng hành, bấm 3",
                   "phản ánh vi phạm, bấm 4", "tổng đài viên, bấm 0", "Nghe lại, bấm sao"):
        assert option in menu.text("vi"), option
    assert "Tiếng Việt, bấm 9" in menu.text("en")
    assert [s.lang for s in menu.vi].count("en") == 1          # "For English, press 9" in English


def test_english_texts_are_english(catalog: Catalog) -> None:
    for prompt in catalog.prompts:
        english = " ".join(s.text for s in prompt.en if s.lang == "en")
        assert english.isascii(), prompt.name


# --- generation --------------------------------------------------------------------------


def test_every_prompt_exists_in_vi_and_en_playable_by_asterisk(built: tuple[Path, PromptReport],
                                                                  catalog: Catalog) -> None:
    out, report = built
    for prompt in catalog.prompts:
        for lang in LANGUAGES:
            rate, channels, width, frames = wav_format(out / sound_path(lang, prompt.name))
            assert (rate, channels, width) == (8000, 1, 2), prompt.name
            assert frames > 0, prompt.name
    assert report.generated == len(expected_paths(catalog)) and report.reused == 0
    assert check_prompts(out, catalog) == []


def test_soxi_agrees_on_the_format_of_music_and_prompts(built: tuple[Path, PromptReport]) -> None:
    out, _ = built
    for relative in ("sounds/vi/1022/menu.wav", "sounds/en/queue-thereare.wav", "moh/calm.wav"):
        fields = [subprocess.run(["soxi", flag, str(out / relative)], check=True, capture_output=True,
                                 text=True).stdout.strip() for flag in ("-r", "-c", "-b", "-D")]
        assert fields[:3] == ["8000", "1", "16"], relative
        assert float(fields[3]) > 0.2, relative


def test_prompts_are_levelled_and_sized_like_speech(built: tuple[Path, PromptReport]) -> None:
    out, _ = built
    menu_vi = AudioSegment.from_wav(out / "sounds/vi/1022/menu.wav")
    menu_en = AudioSegment.from_wav(out / "sounds/en/1022/menu.wav")
    digit = AudioSegment.from_wav(out / "sounds/vi/digits/5a.wav")
    assert menu_vi.duration_seconds > 10 and menu_en.duration_seconds > 10   # seven options (issue 12: < 20 s with the welcome)
    assert 0.1 < digit.duration_seconds < 1.5                                 # a word, no dead air
    for segment in (menu_vi, menu_en, digit):
        assert segment.max_dBFS <= PEAK_CEILING_DBFS + 0.1
        assert TARGET_RMS_DBFS - 4 <= segment.dBFS <= TARGET_RMS_DBFS + 0.5
    music = AudioSegment.from_wav(out / "moh/calm.wav")
    assert music.duration_seconds > 15 and music.dBFS < menu_vi.dBFS


def test_regenerating_reuses_every_file(built: tuple[Path, PromptReport], catalog: Catalog, overrides: Path) -> None:
    out, first = built
    before = mtimes(out)
    again = ensure_prompts(out, overrides, catalog=catalog)
    assert (again.generated, again.overridden, again.reused) == (0, 0, first.total)
    assert mtimes(out) == before


def test_changing_a_text_regenerates_that_prompt_only(tmp_path: Path, small: Catalog, overrides: Path) -> None:
    out = tmp_path / "out"
    ensure_prompts(out, overrides, catalog=small)
    before = mtimes(out)
    old_audio = (out / "sounds/vi/1022/goodbye.wav").read_bytes()
    edited = dataclasses.replace(small, prompts=tuple(
        dataclasses.replace(p, vi=(dataclasses.replace(p.vi[0], text="Xin cảm ơn và hẹn gặp lại."),))
        if p.name == "1022/goodbye" else p for p in small.prompts))

    report = ensure_prompts(out, overrides, catalog=edited)

    assert (report.generated, report.reused) == (1, 5)
    after = mtimes(out)
    assert [k for k in after if after[k] != before[k]] == ["sounds/vi/1022/goodbye.wav"]
    assert (out / "sounds/vi/1022/goodbye.wav").read_bytes() != old_audio


def test_changing_a_voice_regenerates_every_file_it_speaks(tmp_path: Path, small: Catalog, overrides: Path) -> None:
    out = tmp_path / "out"
    ensure_prompts(out, overrides, catalog=small)
    slower = dict(small.voices, en=dataclasses.replace(small.voices["en"], speed=130))

    report = ensure_prompts(out, overrides, catalog=dataclasses.replace(small, voices=slower))

    # The three English files, and the Vietnamese menu with its "For English, press 9".
    assert (report.generated, report.reused) == (4, 2)


def test_missing_file_is_rebuilt_and_dropped_prompt_removed(tmp_path: Path, small: Catalog, overrides: Path) -> None:
    out = tmp_path / "out"
    ensure_prompts(out, overrides, catalog=small)
    (out / "sounds/en/digits/5.wav").unlink()
    fewer = dataclasses.replace(small, prompts=tuple(p for p in small.prompts if p.name != "1022/goodbye"))

    report = ensure_prompts(out, overrides, catalog=fewer)

    assert (report.generated, report.reused, report.removed) == (1, 3, 2)
    assert (out / "sounds/en/digits/5.wav").is_file()
    assert not (out / "sounds/vi/1022/goodbye.wav").exists()
    manifest = json.loads((out / MANIFEST).read_text())["files"]
    assert sorted(manifest) == sorted(sound_path(lang, name) for name in SMALL if name != "1022/goodbye"
                                      for lang in LANGUAGES)


def test_progress_counts_up_to_the_files_built(tmp_path: Path, small: Catalog, overrides: Path) -> None:
    calls: list[tuple[int, int]] = []
    ensure_prompts(tmp_path / "out", overrides, catalog=small, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(n, 6) for n in range(1, 7)]


def test_an_unknown_voice_fails_before_anything_is_built(tmp_path: Path, small: Catalog, overrides: Path) -> None:
    # espeak-ng itself would quietly fall back to its English voice.
    broken = dict(small.voices, vi=dataclasses.replace(small.voices["vi"], espeak="no-such-voice"))

    with pytest.raises(PromptError, match="espeak-ng has no voice 'no-such-voice'"):
        ensure_prompts(tmp_path / "out", overrides, catalog=dataclasses.replace(small, voices=broken))

    assert list((tmp_path / "out").rglob("*.wav")) == []


def test_a_broken_file_fails_alone_and_is_retried(tmp_path: Path, small: Catalog, overrides: Path) -> None:
    out = tmp_path / "out"
    broken = overrides / "en/1022/goodbye.wav"          # dropped in by hand, not with `replace`
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"RIFF\x00\x00 this is not audio")

    with pytest.raises(PromptError, match="1 of 6 files could not be built") as failure:
        ensure_prompts(out, overrides, catalog=small)

    assert "sounds/en/1022/goodbye.wav" in str(failure.value) and "not readable audio" in str(failure.value)
    assert len(list(out.rglob("*.wav"))) == 5                # the others were built
    broken.unlink()
    report = ensure_prompts(out, overrides, catalog=small)
    assert (report.generated, report.reused) == (1, 5)


async def test_async_wrapper_builds_off_the_event_loop(tmp_path: Path, small: Catalog, overrides: Path) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        report = await ensure_prompts_async(tmp_path / "out", overrides, catalog=small)
    finally:
        ticking.cancel()
        await asyncio.gather(ticking, return_exceptions=True)
    assert report.generated == 6
    assert ticks > 5          # the loop kept running while espeak-ng and sox worked


# --- operator overrides ------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".mp3", ".wav"])
def test_replace_normalises_a_stereo_44k_recording_to_8k_mono(tmp_path: Path, overrides: Path, suffix: str) -> None:
    source = stereo_recording(tmp_path, suffix)
    assert (probe(source)["sample_rate"], probe(source)["channels"]) == ("44100", "2")

    assert main(["replace", "--overrides", str(overrides), "vi", "1022/welcome", str(source)]) == 0

    rate, channels, width, frames = wav_format(overrides / "vi/1022/welcome.wav")
    assert (rate, channels, width) == (8000, 1, 2)
    assert 1.4 < frames / rate < 2.0              # 1.5 s of sound plus the prompt's lead-in and tail
    assert AudioSegment.from_wav(overrides / "vi/1022/welcome.wav").max_dBFS <= PEAK_CEILING_DBFS + 0.1


def test_override_takes_precedence_and_revert_restores_the_catalog(tmp_path: Path, small: Catalog,
                                                                   overrides: Path) -> None:
    out = tmp_path / "out"
    ensure_prompts(out, overrides, catalog=small)
    assert main(["replace", "--overrides", str(overrides), "en", "1022/goodbye",
                 str(stereo_recording(tmp_path, ".mp3"))]) == 0

    report = ensure_prompts(out, overrides, catalog=small)
    assert (report.generated, report.overridden, report.reused) == (0, 1, 5)
    played = AudioSegment.from_wav(out / "sounds/en/1022/goodbye.wav")
    recorded = AudioSegment.from_wav(overrides / "en/1022/goodbye.wav")
    assert abs(played.duration_seconds - recorded.duration_seconds) < 0.05
    assert abs(played.dBFS - recorded.dBFS) < 0.5

    assert main(["revert", "--overrides", str(overrides), "en", "1022/goodbye"]) == 0
    report = ensure_prompts(out, overrides, catalog=small)
    assert (report.generated, report.overridden, report.reused) == (1, 0, 5)
    assert wav_format(out / "sounds/en/1022/goodbye.wav")[3] / 8000 > 2.5      # speech again, not the 1.5 s tone


def test_misnamed_override_is_reported_not_used(tmp_path: Path, small: Catalog, overrides: Path) -> None:
    (overrides / "vi/1022").mkdir(parents=True)
    (overrides / "vi/1022/goodby.wav").write_bytes((stereo_recording(tmp_path, ".wav")).read_bytes())
    report = ensure_prompts(tmp_path / "out", overrides, catalog=small)
    assert report.unknown_overrides == ("vi/1022/goodby.wav",)
    assert report.overridden == 0


@pytest.mark.parametrize(("lang", "name", "source", "message"), [
    ("vi", "1022/welcom", "good", "unknown prompt name '1022/welcom'. Did you mean 1022/welcome"),
    ("fr", "1022/welcome", "good", "unknown language 'fr'"),
    ("vi", "1022/welcome", "text", "not readable audio"),
    ("vi", "1022/welcome", "missing", "no such file"),
    ("vi", "1022/welcome", "silent", "the audio is silent"),
])
def test_bad_replace_fails_clearly_and_changes_nothing(tmp_path: Path, overrides: Path, capsys: pytest.CaptureFixture[str],
                                                       lang: str, name: str, source: str, message: str) -> None:
    existing = overrides / "vi/1022/welcome.wav"
    assert main(["replace", "--overrides", str(overrides), "vi", "1022/welcome",
                 str(stereo_recording(tmp_path, ".wav"))]) == 0
    before = {p: p.read_bytes() for p in overrides.rglob("*") if p.is_file()}
    sources = {"good": stereo_recording(tmp_path, ".mp3"), "text": tmp_path / "notes.wav",
               "missing": tmp_path / "nowhere.mp3", "silent": tmp_path / "silent.wav"}
    sources["text"].write_text("this is not audio\n")
    subprocess.run(["sox", "-n", "-r", "8000", str(sources["silent"]), "trim", "0", "1"], check=True)
    capsys.readouterr()

    assert main(["replace", "--overrides", str(overrides), lang, name, str(sources[source])]) == 2

    err = capsys.readouterr().err
    assert message in err and "nothing was changed" in err
    assert {p: p.read_bytes() for p in overrides.rglob("*") if p.is_file()} == before
    assert existing in before


# --- check -------------------------------------------------------------------------------


def test_check_lists_missing_and_unplayable_files(tmp_path: Path, small: Catalog, overrides: Path) -> None:
    out = tmp_path / "out"
    ensure_prompts(out, overrides, catalog=small)
    (out / "sounds/en/digits/5.wav").unlink()
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "2", "-b", "16", str(out / "sounds/vi/digits/5.wav"),
                    "synth", "0.5", "sine", "440"], check=True)

    problems = check_prompts(out, small)

    assert len(problems) == 2
    assert any(p.endswith("sounds/en/digits/5.wav: missing") for p in problems)
    assert any("sounds/vi/digits/5.wav: 16000 Hz, 2 channel(s), 16-bit" in p for p in problems)


def test_cli_check_and_generate_on_a_built_tree(built: tuple[Path, PromptReport], overrides: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out, report = built
    assert main(["generate", "--out", str(out), "--overrides", str(overrides)]) == 0
    assert f"{report.total} files: 0 generated, 0 from overrides, {report.total} reused" in capsys.readouterr().out
    assert main(["check", "--out", str(out)]) == 0
    assert main(["check", "--out", str(out / "nowhere")]) == 1
    assert "missing" in capsys.readouterr().out
