"""Just enough of one SIP-over-WebSocket frame (RFC 7118: one whole message per frame) to say who it claims to be.

Pure: a frame in, a `SipRequest`, a `SipResponse` or a `SipFrameError` out. It reads the start line, the From and
To headers (long and compact forms `f:` / `t:`, any case, folded lines) and the digest `username` of Authorization /
Proxy-Authorization. Everything else in the frame is left to Asterisk. The relay (agent_console/api/phone.py, via
agent_console/sip_pin.py) uses it to hold the browser to its own SIP identity.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

MAX_SIP_FRAME = 64 * 1024          # bytes; a WebRTC INVITE with its SDP is a few KiB

_REQUEST_LINE = re.compile(r"([A-Za-z0-9.!%*_+`'~-]+) (\S+) SIP/2\.0")
_STATUS_LINE = re.compile(r"SIP/2\.0 ([1-6][0-9][0-9])(?: .*)?")
_HEADER = re.compile(r"([A-Za-z0-9.!%*_+`'~-]+)[ \t]*:[ \t]*(.*)")
_COMPACT = {"f": "from", "t": "to"}
_IDENTITY_HEADERS = ("from", "to")
_AUTH_HEADERS = ("authorization", "proxy-authorization")
_DIGEST_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)\s*(?:,|$)')


class SipFrameError(ValueError):
    """The frame is not a SIP message the relay can vouch for; str() says why (short, for a close reason)."""


@dataclass(frozen=True)
class SipResponse:
    status: int


@dataclass(frozen=True)
class SipRequest:
    method: str
    from_user: str
    to_user: str
    in_dialog: bool                     # the To header carries a tag: a request inside an established dialog
    digest_usernames: tuple[str, ...]   # of every Authorization / Proxy-Authorization header, in order


def parse_frame(frame: str | bytes) -> SipRequest | SipResponse:
    text = _text_of(frame)
    lines = _unfolded(re.split(r"\r?\n", text.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]))
    if not lines:
        raise SipFrameError("empty frame")
    status = _STATUS_LINE.fullmatch(lines[0])
    if status:
        return SipResponse(int(status.group(1)))
    request = _REQUEST_LINE.fullmatch(lines[0])
    if not request:
        raise SipFrameError("not a SIP request or response")
    headers = _headers(lines[1:])
    from_user, _ = _identity(headers, "from")
    to_user, to_tagged = _identity(headers, "to")
    usernames = tuple(_digest_username(value) for name in _AUTH_HEADERS for value in headers.get(name, ()))
    return SipRequest(request.group(1).upper(), from_user, to_user, to_tagged, usernames)


def _text_of(frame: str | bytes) -> str:
    raw = frame if isinstance(frame, bytes) else frame.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_SIP_FRAME:
        raise SipFrameError(f"frame over {MAX_SIP_FRAME} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SipFrameError("frame is not UTF-8") from None


def _unfolded(lines: list[str]) -> list[str]:
    """RFC 3261 §7.3.1: a line starting with a space or a tab continues the header before it."""
    out: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t") and len(out) > 1:
            out[-1] = f"{out[-1]} {line.strip()}"
        elif line:
            out.append(line)
    return out


def _headers(lines: list[str]) -> dict[str, list[str]]:
    """Only the headers the relay reads, by their long lower-case name; each value as it came."""
    headers: dict[str, list[str]] = {}
    for line in lines:
        match = _HEADER.fullmatch(line)
        if not match:
            raise SipFrameError("malformed header line")
        name = match.group(1).lower()
        name = _COMPACT.get(name, name)
        if name in _IDENTITY_HEADERS or name in _AUTH_HEADERS:
            headers.setdefault(name, []).append(match.group(2).strip())
    return headers


def _identity(headers: dict[str, list[str]], name: str) -> tuple[str, bool]:
    """(the URI's user, whether the header has a tag) of the single From or To header."""
    values = headers.get(name, [])
    if len(values) != 1:
        raise SipFrameError(f"{'no' if not values else 'more than one'} {name.capitalize()} header")
    uri, params = _split_name_addr(values[0], name)
    tagged = any(p.strip().lower().startswith("tag=") for p in params.split(";")[1:])
    return _user_of(uri, name), tagged


def _split_name_addr(value: str, name: str) -> tuple[str, str]:
    """'"Display" <sip:u@h>;tag=x' or 'sip:u@h;tag=x' → (URI, header parameters)."""
    rest = _without_display_name(value)
    if rest.startswith("<"):
        end = rest.find(">")
        if end < 0:
            raise SipFrameError(f"{name.capitalize()} header: unclosed <")
        return rest[1:end], rest[end + 1:]
    uri, _, params = rest.partition(";")
    return uri.strip(), ";" + params if params else ""


def _without_display_name(value: str) -> str:
    if value.startswith('"'):
        match = re.match(r'"(?:[^"\\]|\\.)*"\s*', value)
        if not match:
            raise SipFrameError("unclosed quoted display name")
        return value[match.end():]
    bracket = value.find("<")
    return value[bracket:] if bracket >= 0 else value


def _user_of(uri: str, name: str) -> str:
    scheme, colon, rest = uri.partition(":")
    if not colon or scheme.lower() not in ("sip", "sips"):
        raise SipFrameError(f"{name.capitalize()} is not a sip: or sips: URI")
    userinfo, at, _host = rest.partition("@")
    if not at or not userinfo:
        raise SipFrameError(f"{name.capitalize()} URI has no user")
    try:
        return unquote(userinfo.split(":", 1)[0], errors="strict")
    except UnicodeDecodeError:
        raise SipFrameError(f"{name.capitalize()} URI user is not UTF-8") from None


def _digest_username(value: str) -> str:
    scheme, _, params = value.partition(" ")
    if scheme.lower() != "digest":
        raise SipFrameError("authorization is not Digest")
    for match in _DIGEST_PARAM.finditer(params):
        if match.group(1).lower() == "username":
            raw = match.group(2)
            return re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
    raise SipFrameError("digest without a username")
