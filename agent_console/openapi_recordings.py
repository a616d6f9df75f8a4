"""OpenAPI paths of the call recordings API (agent_console/api/recordings.py), merged into openapi.DOCUMENT."""
from __future__ import annotations

from typing import Any

from agent_console.openapi_parts import audit_log_get
from agent_console.openapi_parts import error as _error

_RECORDING = {"type": "object", "properties": {
    "id": {"type": "integer"}, "linkedid": {"type": "string"}, "size_bytes": {"type": "integer"},
    "duration_s": {"type": ["number", "null"]}, "created_at": {"type": "string", "format": "date-time"},
    "deleted_at": {"type": ["string", "null"], "format": "date-time"},
    "deleted_reason": {"enum": ["retention", None]},
    "agent": {"type": ["string", "null"], "description": "the agent who took the call"},
    "url": {"type": ["string", "null"], "description": "the audio, null once deleted"}}}

_ACCESS = {"type": "object", "properties": {
    "id": {"type": "integer"}, "recording_id": {"type": "integer"}, "linkedid": {"type": "string"},
    "ext": {"type": "string", "description": "who: an extension, or 'system' (retention)"},
    "role": {"enum": ["agent", "supervisor", "admin", "system"]},
    "action": {"enum": ["play", "download", "delete"]},
    "at": {"type": "string", "format": "date-time"}, "remote_addr": {"type": ["string", "null"]}}}

_REFUSED = "not a supervisor, an admin or the agent who took the call (logged, not an access)"

PATHS: dict[str, Any] = {
    "/api/v1/calls/{linkedid}/recording": {"get": {
        "summary": "The recording of a call: metadata and its id", "operationId": "getCallRecording",
        "parameters": [{"name": "linkedid", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "the recording", "content": {"application/json": {"schema": _RECORDING}}},
                      "401": _error("no valid token"), "403": _error(_REFUSED),
                      "404": _error("the call has no recording")}}},
    "/api/v1/recordings/{id}": {"get": {
        "summary": "The audio of a recording (WAV, 8 kHz): every play or download is written to the access "
                   "log before the audio is sent", "operationId": "getRecordingAudio",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                       {"name": "download", "in": "query", "description": "1: Content-Disposition attachment",
                        "schema": {"enum": ["1", "true"]}}],
        "responses": {"200": {"description": "the audio", "content": {"audio/wav": {}}},
                      "206": {"description": "a byte range of the audio", "content": {"audio/wav": {}}},
                      "401": _error("no valid token"), "403": _error(_REFUSED),
                      "404": _error("no such recording"), "410": _error("deleted (retention) or file gone"),
                      "503": _error("recordings or database unavailable")}}},
    "/api/v1/audit/recordings": audit_log_get("The recording access log, newest first (admins only)",
                                              "recordingAudit", "accesses", _ACCESS),
}
