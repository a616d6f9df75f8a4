"""OpenAPI paths of the intraday report (agent_console/api/reports.py), merged into openapi.DOCUMENT."""
from __future__ import annotations

from typing import Any

from agent_console.openapi_parts import error as _error

_COUNT = {"type": "integer", "minimum": 0}
_SLOT = {"type": "object", "required": ["start", "time", "received", "answered", "abandoned", "transferred_115",
                                        "abandoned_ivr", "service_level", "agents_logged_in"], "properties": {
    "start": {"type": "string", "format": "date-time", "description": "the slot's first instant"},
    "time": {"type": "string", "description": "its local start in the hotline's zone, HH:MM"},
    "received": {**_COUNT, "description": "contacts that started in the slot (calls and tickets without a call)"},
    "answered": {**_COUNT, "description": "calls an agent took"},
    "abandoned": {**_COUNT, "description": "calls hung up while waiting in a queue"},
    "transferred_115": {**_COUNT, "description": "calls the 115 center answered"},
    "abandoned_ivr": {**_COUNT, "description": "callers who hung up in the menu before choosing"},
    "service_level": {"type": ["number", "null"], "minimum": 0, "maximum": 1,
                      "description": "answered within service_level_s / answered with a wait; null: none answered"},
    "agents_logged_in": {**_COUNT, "description": "agents logged in at some moment of the slot"}}}

PATHS: dict[str, Any] = {
    "/api/v1/reports/intraday": {"get": {
        "summary": "One of the hotline's days per hour or per 15 minutes (supervisors, admins)",
        "operationId": "reportIntraday",
        "parameters": [
            {"name": "day", "in": "query", "required": True, "description": "a local date in IVR_TIMEZONE",
             "schema": {"type": "string", "format": "date"}},
            {"name": "slot_min", "in": "query", "description": "slot length in minutes (default 60)",
             "schema": {"type": "integer", "enum": [60, 15]}},
            {"name": "short_abandon_s", "in": "query", "description": "default: the controller's IVR_SHORT_ABANDON",
             "schema": {"type": "integer", "minimum": 0, "maximum": 600}},
            {"name": "service_level_s", "in": "query", "description": "default 20",
             "schema": {"type": "integer", "minimum": 0, "maximum": 600}}],
        "responses": {"200": {"description": "docs/metrics.md, Intraday", "content": {"application/json": {
                          "schema": {"type": "object", "required": ["day", "tz", "slot_min", "slots"], "properties": {
                              "day": {"type": "string", "format": "date"}, "tz": {"type": "string"},
                              "slot_min": {"type": "integer"}, "short_abandon_s": {"type": "number"},
                              "service_level_s": {"type": "number"},
                              "slots": {"type": "array", "items": _SLOT}}}}}},
                      "400": _error("bad parameter"), "401": _error("no valid token"),
                      "403": _error("agents may not read reports"), "503": _error("database unavailable")}}},
}
