"""tests/sipp.py: a caller's keys after the first play renumbered RFC 2833 recordings whose RTP sequence
numbers and timestamps only go up (Asterisk drops an event whose numbers go back)."""
from __future__ import annotations

import struct

import pytest

from tests.sipp import PCAP_DIR, renumbered_pcap


def rtp_numbers(path) -> list[tuple[int, int]]:
    data, position, found = path.read_bytes(), 24, []
    while position + 16 <= len(data):
        length = struct.unpack("<I", data[position + 8:position + 12])[0]
        rtp = position + 16 + length - 16
        found.append(struct.unpack(">HI", data[rtp + 2:rtp + 8]))
        position += 16 + length
    return found


@pytest.mark.skipif(not (PCAP_DIR / "dtmf_2833_star.pcap").exists(), reason="sip-tester's recordings not installed")
def test_star_then_1_have_rising_sequence_numbers(tmp_path) -> None:
    star, one = PCAP_DIR / "dtmf_2833_star.pcap", PCAP_DIR / "dtmf_2833_1.pcap"
    assert rtp_numbers(one)[0][0] < rtp_numbers(star)[-1][0]          # the shipped files: 1 goes back
    keys = [rtp_numbers(renumbered_pcap(star, tmp_path / "k0.pcap", 0)),
            rtp_numbers(renumbered_pcap(one, tmp_path / "k1.pcap", 1))]
    sequence = [seq for key in keys for seq, _ in key]
    assert sequence == sorted(sequence) and len(set(sequence)) == len(sequence)
    assert keys[0][0][1] < keys[1][0][1]                               # the second event's timestamp is later
    assert (tmp_path / "k1.pcap").stat().st_size == one.stat().st_size
