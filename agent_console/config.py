"""The console's own settings, built by the composition root from the process settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


WALL_THRESHOLDS = ("wall_wait_warn_s", "wall_wait_alarm_s", "wall_service_level_warn", "wall_service_level_alarm",
                   "wall_abandon_warn", "wall_abandon_alarm")


@dataclass(frozen=True)
class ConsoleConfig:
    session_ttl_s: int = 12 * 3600      # one long shift; then log in again
    max_password_chars: int = 1024       # longer is a malformed request (400), never hashed
    calls_default_limit: int = 100
    calls_max_limit: int = 500
    short_abandon_s: int = 5             # the reports' default; the controller's IVR_SHORT_ABANDON
    report_wait_s: float = 30.0          # a report waits this long for the one report slot, then 503
    timezone: str = "Asia/Ho_Chi_Minh"   # the hotline's day (IVR_TIMEZONE): reports, "today", dates shown
    wrapup_limit_s: int = 120            # the controller's IVR_WRAPUP_LIMIT, for the agent's countdown
    # The wallboard's colours (the controller's IVR_WALL_*): amber at warn, red at alarm.
    wall_wait_warn_s: int = 60
    wall_wait_alarm_s: int = 120
    wall_service_level_warn: int = 80    # %: below is worse
    wall_service_level_alarm: int = 60
    wall_abandon_warn: int = 5           # %: above is worse
    wall_abandon_alarm: int = 10
    written_target_h: int = 8            # IVR_WRITTEN_TARGET_H: a written request is answered within this
    portal_window_s: int = 3600          # the portal's limits count submissions within this window ...
    portal_address_limit: int = 30       # ... from one address (the next one gets 429)
    portal_phone_limit: int = 10         # ... for one phone number
    portal_duplicate_s: int = 600        # the same phone, subject and text again within this: the same code
    sms_secret: str = field(default="", repr=False)   # IVR_SMS_SECRET: the gateway's callbacks carry it; '' = no SMS
    phone_ws_upstream: str | None = None  # Asterisk's SIP WebSocket (ws://127.0.0.1:<IVR_ASTERISK_HTTP_PORT>/ws)

    def __post_init__(self) -> None:
        if self.session_ttl_s < 60:
            raise ValueError("session_ttl_s must be at least 60")
        if not 1 <= self.calls_default_limit <= self.calls_max_limit:
            raise ValueError("calls_default_limit must be between 1 and calls_max_limit")
        if not 1 <= self.written_target_h <= 240:
            raise ValueError("written_target_h must be between 1 and 240")
        if min(self.portal_window_s, self.portal_address_limit, self.portal_phone_limit, self.portal_duplicate_s) < 1:
            raise ValueError("the portal's window, limits and duplicate time must be positive")
        if not self.report_wait_s > 0:
            raise ValueError("report_wait_s must be positive")
        if not (0 < self.wall_wait_warn_s <= self.wall_wait_alarm_s
                and 0 <= self.wall_service_level_alarm <= self.wall_service_level_warn <= 100
                and 0 <= self.wall_abandon_warn <= self.wall_abandon_alarm <= 100):
            raise ValueError("wall thresholds: each alarm must be worse than its warning, percentages 0-100")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from None

    @classmethod
    def from_settings(cls, settings: Any) -> "ConsoleConfig":
        """Read console_* attributes when the process settings have them (duck-typed: no ivr import)."""
        values = {name: getattr(settings, f"console_{name}") for name in cls.__dataclass_fields__
                  if hasattr(settings, f"console_{name}")}
        if hasattr(settings, "short_abandon_s"):     # one threshold for the call records and the reports
            values["short_abandon_s"] = settings.short_abandon_s
        if getattr(settings, "asterisk_http_port", None):   # the browser phones' WebSocket, proxied
            values["phone_ws_upstream"] = f"ws://127.0.0.1:{settings.asterisk_http_port}/ws"
        for name in ("timezone", "wrapup_limit_s", "written_target_h", "sms_secret", *WALL_THRESHOLDS):   # the controller's, shown and used by the pages
            if hasattr(settings, name):
                values[name] = getattr(settings, name)
        return cls(**values)

    def wall_thresholds(self) -> dict[str, dict[str, float]]:
        """For the wallboard's page: {figure: {warn, alarm}}; service level and abandon rate as ratios 0-1."""
        return {"longest_wait_s": {"warn": self.wall_wait_warn_s, "alarm": self.wall_wait_alarm_s},
                "service_level": {"warn": self.wall_service_level_warn / 100, "alarm": self.wall_service_level_alarm / 100},
                "abandon_rate": {"warn": self.wall_abandon_warn / 100, "alarm": self.wall_abandon_alarm / 100}}
