"""FastAGI wire protocol: pure parsing and formatting, no I/O."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_HEADERS = 128
MAX_LINE = 8192
_RESULT = re.compile(r"^(\d{3})(?: result=(-?\d+)(?: \((.*)\))?)?")


class AgiProtocolError(ValueError):
    """Asterisk (or whoever connected) sent something that is not FastAGI."""


@dataclass(frozen=True)
class AgiRequest:
    headers: dict[str, str]

    @property
    def route(self) -> str:
        """The route name: the path of agi://host:port/<route>?query, without slashes."""
        url = self.headers.get("agi_network_script") or urlsplit(self.headers.get("agi_request", "")).path
        return url.split("?", 1)[0].strip("/")

    @property
    def args(self) -> list[str]:
        numbered = sorted(
            (int(k[8:]), v) for k, v in self.headers.items() if k.startswith("agi_arg_") and k[8:].isdigit())
        return [v for _, v in numbered]

    @property
    def caller_number(self) -> str:
        return self.headers.get("agi_callerid", "")

    @property
    def uniqueid(self) -> str:
        return self.headers.get("agi_uniqueid", "")


@dataclass(frozen=True)
class AgiResult:
    code: int
    result: int | None
    data: str | None

    @property
    def ok(self) -> bool:
        return self.code == 200


def parse_header_line(line: bytes) -> tuple[str, str]:
    if len(line) > MAX_LINE:
        raise AgiProtocolError("header line too long")
    text = line.decode("utf-8", "replace").rstrip("\r\n")
    key, sep, value = text.partition(":")
    if not sep or not key.startswith("agi_"):
        raise AgiProtocolError(f"not an AGI header: {text[:60]!r}")
    return key, value.lstrip(" ")


def parse_result(line: str) -> AgiResult:
    match = _RESULT.match(line.strip())
    if not match:
        raise AgiProtocolError(f"not an AGI result: {line[:60]!r}")
    code, result, data = match.groups()
    return AgiResult(int(code), int(result) if result is not None else None, data)


_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_()]{0,79}$")


def set_variable_command(name: str, value: str) -> str:
    """`SET VARIABLE` with the value quoted; names are ours, values may come from callers."""
    if not _VARIABLE_NAME.match(name):
        raise AgiProtocolError(f"bad variable name {name!r}")
    clean = value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")
    return f'SET VARIABLE {name} "{clean}"\n'
