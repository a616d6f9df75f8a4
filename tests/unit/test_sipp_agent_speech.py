"""tests/sipp.py: what an agent's sipp phone says — sipp's speech sample, an A-law tone on PCMA, or nothing
(an echoing phone) — is written into its copy of agent.xml."""
from __future__ import annotations

import shutil

import pytest

from tests.sipp import SippError, SippRunner, _agent_speech

SAMPLE = 'play_pcap_audio="/usr/share/sip-tester/g711a.pcap"'


def agent_scenario(tmp_path, **speech) -> str:
    runner = SippRunner(5060)
    try:
        return runner._scenario("agent.xml", tmp_path, speech=_agent_speech(tmp_path, **speech)).read_text()
    finally:
        shutil.rmtree(runner._workroot, ignore_errors=True)


def test_by_default_the_phone_plays_the_speech_sample(tmp_path) -> None:
    assert SAMPLE in agent_scenario(tmp_path, tone_hz=None, echo=False)


def test_a_tone_replaces_the_sample_on_payload_8(tmp_path) -> None:
    text = agent_scenario(tmp_path, tone_hz=1000, echo=False)
    assert SAMPLE not in text and f'rtp_stream="{tmp_path}/tone-1000.alaw,-1,8"' in text
    assert (tmp_path / "tone-1000.alaw").stat().st_size == 8000 * 10      # 10 s, one byte a sample


def test_an_echoing_phone_says_nothing_of_its_own(tmp_path) -> None:
    text = agent_scenario(tmp_path, tone_hz=None, echo=True)
    assert SAMPLE not in text and "rtp_stream" not in text


def test_a_scenario_without_the_sample_is_refused(tmp_path) -> None:
    runner = SippRunner(5060)
    try:
        with pytest.raises(SippError, match="no speech sample"):
            runner._scenario("caller_dtmf.xml", tmp_path, speech="<!-- -->")
    finally:
        shutil.rmtree(runner._workroot, ignore_errors=True)
