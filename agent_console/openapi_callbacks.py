"""OpenAPI paths of the keep-place callbacks (merged into openapi.DOCUMENT; docs/callbacks.md)."""
from __future__ import annotations

from typing import Any

from agent_console.openapi_parts import error as _error

STATES = ["waiting", "dialling", "connected", "retry_wait", "to_worklist", "cancelled"]
_ONE_STATE = f"(?:{'|'.join(STATES)})"
# a comma-separated list of states, no spaces (api/callbacks.py parse_states); empty: every state
_STATE_LIST = f"^(?:{_ONE_STATE}(?:,{_ONE_STATE})*)?$"
_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
_CALLBACK = {"type": "object", "properties": {
    "id": {"type": "integer"}, "number": {"type": "string", "description": "the number to call back"},
    "branch": {"type": "integer"}, "queue": {"type": "string"}, "language": {"enum": ["vi", "en"]},
    "state": {"enum": STATES, "description": "waiting: a placeholder keeps the place in line; dialling: the "
              "citizen's phone rings (an agent is on the line); connected: reached; retry_wait: not answered, "
              "tried again at next_attempt_at; to_worklist: every attempt failed; cancelled: merged into an "
              "earlier request (merged_into)"},
    "requested_at": _TIME, "attempts": {"type": "integer"}, "next_attempt_at": _NULLABLE_TIME,
    "reached_at": _NULLABLE_TIME, "agent_ext": {"type": ["string", "null"]},
    "merged_into": {"type": ["integer", "null"]}, "original_linkedid": {"type": "string"},
    "callback_linkedid": {"type": ["string", "null"], "description": "the call in which the citizen was reached"},
    "linked_calls": {"type": "array", "items": {"type": "string"},
                     "description": "the original call's linkedid, then each attempt's"}}}

PATHS: dict[str, Any] = {
    "/api/v1/callbacks": {"get": {
        "summary": "Keep-place callback requests, newest first (supervisors and admins)",
        "operationId": "listCallbacks",
        "parameters": [
            {"name": "state", "in": "query", "schema": {"type": "string", "pattern": _STATE_LIST},
             "description": f"one or more of {', '.join(STATES)}, comma-separated"},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
        "responses": {
            "200": {"description": "callbacks and the states", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"callbacks": {"type": "array", "items": _CALLBACK},
                                                 "states": {"type": "array", "items": {"enum": STATES}}}}}}},
            "400": _error("bad state or limit"), "401": _error("not signed in"),
            "403": _error("not a supervisor or admin")}}},
    "/api/v1/callbacks/summary": {"get": {
        "summary": "Callbacks requested from..to (local dates): requested, reached, failed, merged, pending, "
                   "request→reached median and 90th percentile in seconds (docs/metrics.md#callbacks)",
        "operationId": "callbackSummary",
        "parameters": [{"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                       {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date"},
                        "description": "inclusive; on or after from, at most 366 days after it"}],
        "responses": {
            "200": {"description": "the figures", "content": {"application/json": {"schema": {
                "type": "object", "properties": {k: {"type": ["number", "null"]} for k in (
                    "requested", "reached", "failed", "merged", "pending", "reached_median_s", "reached_p90_s")}}}}},
            "400": _error("bad dates, to before from or a range over 366 days"), "401": _error("not signed in"), "403": _error("not a supervisor or admin")}}},
}
