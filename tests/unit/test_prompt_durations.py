"""Issue 12: how long the caller listens, measured on the generated files (espeak-ng, sox, pydub)."""
from __future__ import annotations

import dataclasses
import wave
from pathlib import Path

import pytest

from prompts.catalog import LANGUAGES, read_catalog
from prompts.build import ensure_prompts, sound_path

TIMED = ("1022/welcome", "1022/menu", "1022/no-input", "1022/default-branch", "1022/branch-cdc",
         "1022/branch-doctors", "1022/branch-violations", "1022/emergency-connecting", "1022/survey")


@pytest.fixture(scope="module")
def seconds(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], float]:
    catalog = read_catalog()
    timed = dataclasses.replace(catalog, prompts=tuple(p for p in catalog.prompts if p.name in TIMED),
                                tones=(), moh=())
    out = tmp_path_factory.mktemp("timed-prompts")
    ensure_prompts(out, tmp_path_factory.mktemp("no-overrides"), catalog=timed)
    return {(lang, name): _duration(out / sound_path(lang, name)) for lang in LANGUAGES for name in TIMED}


def _duration(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_welcome_and_menu_take_at_most_20_s(seconds, lang: str) -> None:
    total = seconds[lang, "1022/welcome"] + seconds[lang, "1022/menu"]
    print(f"{lang}: welcome {seconds[lang, '1022/welcome']:.2f} s + menu {seconds[lang, '1022/menu']:.2f} s"
          f" = {total:.2f} s")
    assert 8 < total <= 20.0        # 8: the six options and the recording notice are all still said


@pytest.mark.parametrize("lang", LANGUAGES)
def test_branch_announcements_and_the_115_message_are_under_3_s(seconds, lang: str) -> None:
    for name in ("1022/branch-cdc", "1022/branch-doctors", "1022/branch-violations", "1022/default-branch",
                 "1022/emergency-connecting"):
        assert 0.5 < seconds[lang, name] < 3.0, (lang, name, seconds[lang, name])


def test_a_silent_caller_reaches_the_queue_well_within_45_s(seconds) -> None:
    """The silent path of dialplan/extensions_menu.conf with the default IVR_MENU_REPEATS=1 and
    MENU_WAIT_S=4: welcome, menu, wait, no-input, menu, wait, default-branch (the sipp test in
    tests/e2e/test_sipp_caller_minute.py measures the real call)."""
    wait_s = 4
    path = (seconds["vi", "1022/welcome"] + seconds["vi", "1022/menu"] + wait_s + seconds["vi", "1022/no-input"]
            + seconds["vi", "1022/menu"] + wait_s + seconds["vi", "1022/default-branch"])
    assert path < 44, path
