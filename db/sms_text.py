"""The pure side of the SMS channel: what a gateway's MO message says (db/sms.py stores it).

- `Concat`: which part of a concatenated message this is, from the UDH a gateway passes on when it
  did not join the parts itself (IE 0x00: 8-bit reference, IE 0x08: 16-bit reference).
- `branch_of`: the branch an SMS is for, from its first word (CDC, BS, VP ...); otherwise the default.
- The replies the citizen gets back: GSM 7-bit letters only (Vietnamese without diacritics, as SMS
  services here write it), so one message of 160 characters carries them on any handset and SMSC.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# First word of the SMS -> (branch, category); the menu's branches but the emergency (call 115).
KEYWORDS: dict[str, tuple[int, str]] = {
    "CDC": (2, "cdc"), "YTE": (2, "cdc"), "COVID": (2, "cdc"),
    "BS": (3, "doctors"), "BACSI": (3, "doctors"), "TVBS": (3, "doctors"),
    "VP": (4, "violations"), "VIPHAM": (4, "violations"), "PA": (4, "violations"),
}
DEFAULT_SUBJECT = (2, "cdc")
MAX_SMS_TEXT = 2000            # characters: 13 concatenated UCS-2 parts and more are refused


@dataclass(frozen=True)
class Concat:
    ref: int
    total: int
    part: int


def concat_of(udh_hex: str) -> Concat | None:
    """The concatenation element of a UDH given as hex (Kannel's %u), or None (not a part)."""
    try:
        udh = bytes.fromhex(udh_hex.strip())
    except ValueError:
        return None
    if len(udh) < 2 or udh[0] != len(udh) - 1:
        return None
    pos = 1
    while pos + 1 < len(udh):
        ie, length = udh[pos], udh[pos + 1]
        data = udh[pos + 2:pos + 2 + length]
        if len(data) != length:
            return None
        if ie == 0x00 and length == 3:
            return _checked(data[0], data[1], data[2])
        if ie == 0x08 and length == 4:
            return _checked(data[0] << 8 | data[1], data[2], data[3])
        pos += 2 + length
    return None


def _checked(ref: int, total: int, part: int) -> Concat | None:
    return Concat(ref, total, part) if 2 <= total and 1 <= part <= total else None


def branch_of(text: str) -> tuple[int, str]:
    """(branch, category) from the first word, diacritics and case ignored: "bác sĩ ..." is not
    a keyword (two words) but "BACSI ..." and "bs ..." are."""
    words = text.split(maxsplit=1)
    if not words:
        return DEFAULT_SUBJECT
    return KEYWORDS.get(plain(words[0]).upper().strip(".:,;-"), DEFAULT_SUBJECT)


def plain(text: str) -> str:
    """Vietnamese without diacritics (đ -> d): what a GSM 7-bit SMS can carry."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def received_reply(code: str) -> str:
    return f"1022: Da nhan yeu cau cua ban. Ma tra cuu: {code}. / Request received. Tracking code: {code}"


def joined_reply(code: str) -> str:
    return f"1022: Da bo sung vao yeu cau {code}. / Added to your request {code}."


# Kannel's DLR types (the dlr-url's %d) -> our delivery status.
KANNEL_DLR = {1: "delivered", 2: "failed", 4: "buffered", 8: "sent", 16: "rejected"}
FINAL_STATUSES = ("delivered", "failed", "rejected")
