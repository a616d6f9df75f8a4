"""Settings: environment variables, validated once at start-up into one frozen dataclass.

Every setting has a sane default except secrets, which are never committed: when
IVR_AMI_SECRET is unset a random one is generated once and kept (mode 0600) in the
state directory, so a restart reuses it.
"""
from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _default_asterisk_root() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "ivr1022" / "asterisk-root"


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    database_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    sip_port: int = 5060
    ami_port: int = 5038
    agi_port: int = 4573
    asterisk_http_port: int = 8088  # Asterisk's HTTP server on loopback: the browser phones' SIP WebSocket
    webrtc_media_address: str = "127.0.0.1"   # where browser phones send RTP (Asterisk's ICE host candidate)
    pg_port: int = 55432            # the private cluster's port (only when DATABASE_URL is unset)
    ami_user: str = "ivr1022"
    ami_secret: str = field(default="", repr=False)
    emergency_uri: str = "sip:115@127.0.0.1:5090"
    outbound_uri: str = "sip:127.0.0.1:5095"   # calls to citizens (callbacks): the number goes in as the user
    trunk_network: str = "127.0.0.0/8"
    asterisk_root: Path = field(default_factory=_default_asterisk_root)
    default_branch: int = 2
    emergency_dial_timeout_s: int = 20
    queue_max_wait_s: int = 300
    menu_repeats: int = 1           # a silent caller hears the menu again this often, then the default branch
    survey: bool = True             # the post-call survey (asked when the agent ends the call)
    wrapup_limit_s: int = 120
    written_target_h: int = 8       # a written request (portal, SMS) is answered within this many hours
    short_abandon_s: int = 5
    callback_retry_delay_s: int = 120   # a callback the citizen did not answer is tried again after this
    callback_attempts: int = 3          # dial attempts per callback before it goes to the worklist
    callback_ring_s: int = 30           # how long the citizen's phone rings on a callback
    recording_retention_days: int = 90
    timezone: str = "Asia/Ho_Chi_Minh"   # the hotline's day: reports, the wallboard's "today", every date shown
    followup_ring_s: int = 30       # an agent's phone rings this long for a call from the abandoned-call worklist
    # The wallboard's colours: amber at *_warn, red at *_alarm (waits in s; service level and abandon rate in %).
    wall_wait_warn_s: int = 60
    wall_wait_alarm_s: int = 120
    wall_service_level_warn: int = 80     # below this: amber
    wall_service_level_alarm: int = 60    # below this: red
    wall_abandon_warn: int = 5            # above this: amber
    wall_abandon_alarm: int = 10          # above this: red
    # > 0: Asterisk runs at this niceness under SCHED_BATCH (runtime/asterisk.py). 10 by default: at the knee the
    # console's and the records' tails met their goals only so (docs/performance.md, "Saturation and priority").
    asterisk_nice: int = 10
    instance: str = "main"          # from_env: IVR_INSTANCE, else named after the state directory
    # The SMS channel (issue 14, docs/sms.md): our own Kannel on kannel_port..kannel_port+3 when sms is on.
    sms: bool = False
    sms_secret: str = field(default="", repr=False)       # the gateway's callbacks carry it
    sms_send_url: str = field(default="", repr=False)     # sendsms with username and password in its query
    sms_number: str = "1022"                              # the sender of our SMS
    kannel_port: int = 13100                              # admin; +1 smsbox link; +2 sendsms; +3 the fake SMSC
    sms_smsc_file: Path | None = None                     # a real `group = smsc`; unset: the fake SMSC
    sms_own_gateway: bool = False                         # on and IVR_SMS_SEND_URL unset: we run Kannel
    # SIP guard (ivr/sip_guard.py): this many failed SIP authentications from one address within the window ban it.
    sip_ban_failures: int = 5
    sip_ban_window_s: int = 60
    sip_ban_s: int = 900

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        state_dir = Path(env.get("IVR_STATE_DIR") or ".state").resolve()
        values = dict(
            state_dir=state_dir,
            database_url=env.get("DATABASE_URL") or None,
            http_port=_port(env, "IVR_HTTP_PORT", 8080),
            sip_port=_port(env, "IVR_SIP_PORT", 5060),
            ami_port=_port(env, "IVR_AMI_PORT", 5038),
            agi_port=_port(env, "IVR_AGI_PORT", 4573),
            asterisk_http_port=_port(env, "IVR_ASTERISK_HTTP_PORT", 8088),
            webrtc_media_address=_ip_address(env.get("IVR_WEBRTC_MEDIA_ADDRESS") or "127.0.0.1",
                                             "IVR_WEBRTC_MEDIA_ADDRESS"),
            pg_port=_port(env, "IVR_PG_PORT", 55432),
            ami_user=_name(env.get("IVR_AMI_USER", "ivr1022"), "IVR_AMI_USER"),
            ami_secret=env.get("IVR_AMI_SECRET") or _stored_secret(state_dir, "ami_secret"),
            emergency_uri=_sip_uri(env.get("IVR_EMERGENCY_URI", "sip:115@127.0.0.1:5090")),
            outbound_uri=_outbound_uri(env.get("IVR_OUTBOUND_URI") or "sip:127.0.0.1:5095"),
            trunk_network=_network(env.get("IVR_TRUNK_NETWORK", "127.0.0.0/8")),
            default_branch=_int(env, "IVR_DEFAULT_BRANCH", 2, 2, 4),
            emergency_dial_timeout_s=_int(env, "IVR_EMERGENCY_TIMEOUT", 20, 3, 120),
            queue_max_wait_s=_int(env, "IVR_QUEUE_MAX_WAIT", 300, 10, 3600),
            menu_repeats=_int(env, "IVR_MENU_REPEATS", 1, 0, 3),
            survey=_switch(env, "IVR_SURVEY", True),
            wrapup_limit_s=_int(env, "IVR_WRAPUP_LIMIT", 120, 5, 3600),
            sip_ban_failures=_int(env, "IVR_SIP_BAN_FAILURES", 5, 2, 100),
            sip_ban_window_s=_int(env, "IVR_SIP_BAN_WINDOW", 60, 5, 3600),
            sip_ban_s=_int(env, "IVR_SIP_BAN_SECONDS", 900, 5, 86400),
            written_target_h=_int(env, "IVR_WRITTEN_TARGET_H", 8, 1, 240),
            short_abandon_s=_int(env, "IVR_SHORT_ABANDON", 5, 0, 60),
            callback_retry_delay_s=_int(env, "IVR_CALLBACK_RETRY_DELAY", 120, 1, 86400),
            callback_attempts=_int(env, "IVR_CALLBACK_ATTEMPTS", 3, 1, 10),
            callback_ring_s=_int(env, "IVR_CALLBACK_RING", 30, 5, 120),
            recording_retention_days=_int(env, "IVR_RECORDING_RETENTION_DAYS", 90, 1, 3650),
            timezone=_timezone(env.get("IVR_TIMEZONE") or "Asia/Ho_Chi_Minh"),
            followup_ring_s=_int(env, "IVR_FOLLOWUP_RING_S", 30, 5, 120),
            instance=_instance(env.get("IVR_INSTANCE") or instance_for(state_dir)),
            asterisk_nice=_int(env, "IVR_ASTERISK_NICE", 10, 0, 19),
            **_wall_thresholds(env),
        )
        if env.get("IVR_ASTERISK_ROOT"):
            values["asterisk_root"] = Path(env["IVR_ASTERISK_ROOT"]).resolve()
        if values["database_url"]:
            _database_url(values["database_url"])
        values.update(_sms_settings(env, state_dir, values["http_port"]))
        return cls(**values)

    def secret_file(self, name: str) -> Path:
        return self.state_dir / "secrets" / name


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _wall_thresholds(env: Mapping[str, str]) -> dict[str, int]:
    """The wallboard's colour thresholds: each pair ordered so that red is worse than amber."""
    values = dict(
        wall_wait_warn_s=_int(env, "IVR_WALL_WAIT_WARN", 60, 1, 3600),
        wall_wait_alarm_s=_int(env, "IVR_WALL_WAIT_ALARM", 120, 1, 3600),
        wall_service_level_warn=_int(env, "IVR_WALL_SL_WARN", 80, 0, 100),
        wall_service_level_alarm=_int(env, "IVR_WALL_SL_ALARM", 60, 0, 100),
        wall_abandon_warn=_int(env, "IVR_WALL_ABANDON_WARN", 5, 0, 100),
        wall_abandon_alarm=_int(env, "IVR_WALL_ABANDON_ALARM", 10, 0, 100),
    )
    if values["wall_wait_alarm_s"] < values["wall_wait_warn_s"]:
        raise SettingsError("IVR_WALL_WAIT_ALARM must be at least IVR_WALL_WAIT_WARN")
    if values["wall_service_level_alarm"] > values["wall_service_level_warn"]:
        raise SettingsError("IVR_WALL_SL_ALARM must be at most IVR_WALL_SL_WARN (a lower service level is worse)")
    if values["wall_abandon_alarm"] < values["wall_abandon_warn"]:
        raise SettingsError("IVR_WALL_ABANDON_ALARM must be at least IVR_WALL_ABANDON_WARN")
    return values


def _sms_settings(env: Mapping[str, str], state_dir: Path, http_port: int) -> dict[str, object]:
    """IVR_SMS and its companions; the secrets are generated (and kept) only when SMS is on."""
    on = _switch(env, "IVR_SMS", False)
    kannel_port = _int(env, "IVR_KANNEL_PORT", 13100, 1024, 65532)
    values: dict[str, object] = dict(sms=on, kannel_port=kannel_port,
                                     sms_number=_sms_number(env.get("IVR_SMS_NUMBER") or "1022"),
                                     sms_secret=env.get("IVR_SMS_SECRET") or "")
    if env.get("IVR_SMS_SMSC"):
        smsc = Path(env["IVR_SMS_SMSC"]).resolve()
        if not smsc.is_file():
            raise SettingsError(f"IVR_SMS_SMSC must be a file holding a Kannel `group = smsc`, got {str(smsc)!r}")
        values["sms_smsc_file"] = smsc
    if not on:
        return values
    if not values["sms_secret"]:
        values["sms_secret"] = _stored_secret(state_dir, "sms_secret")
    send_url = env.get("IVR_SMS_SEND_URL") or (
        f"http://127.0.0.1:{kannel_port + 2}/cgi-bin/sendsms?username=ivr1022"
        f"&password={_stored_secret(state_dir, 'kannel_send')}")
    if urlsplit(send_url).scheme not in ("http", "https"):
        raise SettingsError("IVR_SMS_SEND_URL must be an http(s) URL of Kannel's sendsms")
    values["sms_send_url"] = send_url
    values["sms_own_gateway"] = not env.get("IVR_SMS_SEND_URL")
    return values


def _sms_number(value: str) -> str:
    if not (value.lstrip("+").isdigit() and len(value) <= 20):
        raise SettingsError(f"IVR_SMS_NUMBER must be a phone number or short code, got {value!r}")
    return value


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "on", "yes", "true"):
        return True
    if raw in ("0", "off", "no", "false"):
        return False
    raise SettingsError(f"{name} must be on or off (1/0, yes/no, true/false), got {raw!r}")


def _ip_address(value: str, name: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value.strip()))
    except ValueError:
        raise SettingsError(f"{name} must be an IPv4 address, got {value!r}") from None


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    return _int(env, name, default, 1, 65535)


def _sip_uri(value: str) -> str:
    if not value.startswith("sip:") or "@" not in value or any(c in value for c in " ,;\n\r\t"):
        raise SettingsError(f"IVR_EMERGENCY_URI must look like sip:user@host[:port], got {value!r}")
    return value


def _outbound_uri(value: str) -> str:
    """The citizens' trunk: sip:host[:port] (a user part is allowed, Asterisk replaces it with the
    citizen's number when it dials)."""
    host = value[4:].rpartition("@")[2]
    if (not value.startswith("sip:") or not host or host.startswith(":")
            or any(c in value for c in " ,;\n\r\t<>")):
        raise SettingsError(f"IVR_OUTBOUND_URI must look like sip:host[:port], got {value!r}")
    return value


def _network(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise SettingsError(f"IVR_TRUNK_NETWORK must be a network like 127.0.0.0/8, got {value!r}") from None


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"IVR_TIMEZONE must be an IANA time zone like Asia/Ho_Chi_Minh, got {value!r}") from None
    return value


def _name(value: str, variable: str) -> str:
    if not value.replace("-", "").replace("_", "").isalnum() or len(value) > 40:
        raise SettingsError(f"{variable} must be letters, digits, - or _, got {value!r}")
    return value


def instance_for(state_dir: Path) -> str:
    """The default instance name: a short hash of the resolved state directory, so two clones (or
    two state directories) on one machine never share an Asterisk instance by accident."""
    return "s" + hashlib.sha256(str(Path(state_dir).resolve()).encode()).hexdigest()[:10]


def _instance(value: str) -> str:
    return _name(value, "IVR_INSTANCE")


def _database_url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("postgres", "postgresql") or not parts.path.strip("/"):
        raise SettingsError("DATABASE_URL must look like postgresql://user@host:port/dbname")


def _stored_secret(state_dir: Path, name: str) -> str:
    path = state_dir / "secrets" / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value + "\n")
    return value
