"""AMI wire protocol: pure parsing and formatting, no I/O.

A message is `Key: Value` lines ended by a blank line. Bytes that are not valid UTF-8
(a hostile caller ID) are decoded with replacement characters, never raised on.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping

BANNER_PREFIX = "Asterisk Call Manager"
MAX_BUFFER = 1 << 20  # a peer that sends a megabyte without a blank line is broken


class AmiProtocolError(ValueError):
    """The peer sent something that is not AMI, or we were asked to send something unsafe."""


class AmiMessage(Mapping[str, str]):
    """One AMI event or response. Lookup is by exact key; repeated keys keep the first value
    for `[]`, and all values through `getall` (e.g. ChanVariable)."""

    __slots__ = ("_pairs", "_first")

    def __init__(self, pairs: list[tuple[str, str]]):
        self._pairs = pairs
        self._first: dict[str, str] = {}
        for key, value in pairs:
            self._first.setdefault(key, value)

    def __getitem__(self, key: str) -> str:
        return self._first[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._first)

    def __len__(self) -> int:
        return len(self._first)

    def getall(self, key: str) -> list[str]:
        return [v for k, v in self._pairs if k == key]

    @property
    def event(self) -> str | None:
        return self._first.get("Event")

    @property
    def response(self) -> str | None:
        return self._first.get("Response")

    @property
    def action_id(self) -> str | None:
        return self._first.get("ActionID")

    @property
    def succeeded(self) -> bool:
        return self.response in ("Success", "Goodbye", "Follows")

    def __repr__(self) -> str:
        kind = self.event or self.response or "?"
        return f"AmiMessage({kind}, {dict(self._first)!r})"


# Asterisk writes the caller ID and connected line names of a channel snapshot (every channel
# event: Newchannel, Hangup, QueueCallerJoin, AgentCalled, CoreShowChannel…, with any prefix such as
# DestCallerIDName) through ast_escape_c: O'Brien arrives as O\'Brien, a backslash doubled.
# OriginateResponse formats its CallerIDName itself, unescaped. Checked on a real Asterisk 22 call
# (tests/integration/test_caller_names.py): CEL's cid_name holds the name unescaped.
_ESCAPED_NAME_SUFFIXES = ("CallerIDName", "ConnectedLineName")
_UNESCAPED_EVENTS = frozenset({"OriginateResponse"})
_C_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
              "\\": "\\", "'": "'", '"': '"', "?": "?"}


def unescape_c(value: str) -> str:
    """Undo ast_escape_c: a backslash and one of abfnrtv\\'"? become the character; any other
    backslash (Asterisk never writes one) is kept as it is."""
    if "\\" not in value:
        return value
    out, chars = [], iter(value)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        following = next(chars, "")
        out.append(_C_ESCAPES.get(following, ch + following))
    return "".join(out)


def parse_block(block: str) -> AmiMessage:
    pairs: list[tuple[str, str]] = []
    for line in block.split("\r\n"):
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            # Output of old-style "Response: Follows" commands has bare lines.
            pairs.append(("Output", line))
            continue
        pairs.append((key.strip(), value.lstrip(" ")))
    event = next((value for key, value in pairs if key == "Event"), None)
    if event is not None and event not in _UNESCAPED_EVENTS:
        pairs = [(key, unescape_c(value) if key.endswith(_ESCAPED_NAME_SUFFIXES) else value)
                 for key, value in pairs]
    return AmiMessage(pairs)


class AmiParser:
    """Feed it bytes as they arrive; it returns complete messages."""

    def __init__(self) -> None:
        self._buffer = b""
        self.banner: str | None = None

    def feed(self, data: bytes) -> list[AmiMessage]:
        self._buffer += data
        if self.banner is None and b"\r\n" in self._buffer:
            line, _, rest = self._buffer.partition(b"\r\n")
            text = line.decode("utf-8", "replace")
            if not text.startswith(BANNER_PREFIX):
                raise AmiProtocolError(f"not an AMI server: {text[:60]!r}")
            self.banner, self._buffer = text, rest
        messages = []
        while b"\r\n\r\n" in self._buffer:
            raw, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
            if raw.strip():
                messages.append(parse_block(raw.decode("utf-8", "replace")))
        if len(self._buffer) > MAX_BUFFER:
            raise AmiProtocolError("message larger than 1 MiB without an end")
        return messages


def format_action(action: str, action_id: str, fields: Mapping[str, object]) -> bytes:
    """Serialise an action. CR or LF inside a value would let a caller-supplied string inject
    AMI headers, so they are refused rather than escaped."""
    lines = [f"Action: {action}", f"ActionID: {action_id}"]
    for key, value in fields.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            text = str(item)
            if "\r" in text or "\n" in text or "\r" in key or "\n" in key or ":" in key:
                raise AmiProtocolError(f"unsafe AMI field {key!r}")
            lines.append(f"{key}: {text}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
