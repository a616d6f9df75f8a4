"""OpenAPI paths of live listening (agent_console/api/listen.py), merged into openapi.DOCUMENT."""
from __future__ import annotations

from typing import Any

from agent_console.openapi_parts import audit_log_get
from agent_console.openapi_parts import error as _error

_LISTEN = {"type": "object", "required": ["agent", "listener", "linkedid", "listen_id"], "properties": {
    "agent": {"type": "string", "description": "the agent whose call is heard"},
    "listener": {"type": "string", "description": "the signed-in supervisor's extension: the phone that rings"},
    "linkedid": {"type": ["string", "null"], "description": "the agent's call"},
    "listen_id": {"type": "integer", "description": "the live listening log's row; WebSocket `listen` messages "
                                                    "name it"}}}

_SPEAK = {"type": "object", "required": [*_LISTEN["required"], "mode"], "properties": {
    **_LISTEN["properties"], "mode": {"enum": ["whisper", "barge"]}}}

_LOG_ROW = {"type": "object", "properties": {
    "mode": {"enum": ["listen", "whisper", "barge"], "description": "what the supervisor's phone did (migration 022)"},
    "id": {"type": "integer"}, "agent_ext": {"type": "string"}, "listener_ext": {"type": "string"},
    "listener_role": {"enum": ["supervisor", "admin"]}, "linkedid": {"type": ["string", "null"]},
    "at": {"type": "string", "format": "date-time"}, "remote_addr": {"type": ["string", "null"]},
    "result": {"enum": ["answered", "no_answer", "busy", "congestion", "failed", None],
               "description": "whether the listener's phone answered (null while it rings or if unknown)"},
    "answered_at": {"type": ["string", "null"], "format": "date-time"},
    "ended_at": {"type": ["string", "null"], "format": "date-time",
                 "description": "when the listening channel hung up (the listener, or the end of the call)"}}}

_BODY = {"required": False, "content": {"application/json": {"schema": {"type": "object", "properties": {
    "phone": {"enum": ["desk", "browser"], "default": "desk",
              "description": "which of the supervisor's phones rings: desk (endpoint <ext>) or the console's browser "
                             "phone (endpoint <ext>-web; the wallboard sends it while its phone is registered)"}}}}}}

PATHS: dict[str, Any] = {
    "/api/v1/agents/{ext}/listen": {"post": {
        "summary": "Ring the signed-in supervisor's own phone to listen to the agent's live call (both parties, "
                   "listen-only); written to the live listening log (supervisors, admins)",
        "operationId": "agentListen",
        "parameters": [{"name": "ext", "in": "path", "required": True, "schema": {"type": "string"}}],
        "requestBody": _BODY,
        "responses": {"202": {"description": "Asterisk is ringing the listener's phone",
                              "content": {"application/json": {"schema": _LISTEN}}},
                      "400": _error("phone is neither desk nor browser, or the body is not a JSON object"),
                      "401": _error("no valid token"), "403": _error("not a supervisor or an admin"),
                      "404": _error("no such agent"),
                      "409": _error("the agent is not on a call, is yourself, or your phone is not registered"),
                      "503": _error("Asterisk or database unavailable (nothing rings, nothing written)")}}},
    **{f"/api/v1/agents/{{ext}}/{mode}": {"post": {
        "summary": summary + "; written to the live listening log with its mode (supervisors, admins)",
        "operationId": f"agent{mode.title()}",
        "parameters": [{"name": "ext", "in": "path", "required": True, "schema": {"type": "string"}}],
        "requestBody": _BODY,
        "responses": {"202": {"description": "Asterisk is ringing the supervisor's phone",
                              "content": {"application/json": {"schema": _SPEAK}}},
                      "400": _error("phone is neither desk nor browser, or the body is not a JSON object"),
                      "401": _error("no valid token"), "403": _error("not a supervisor or an admin"),
                      "404": _error("no such agent"),
                      "409": _error("the agent is not on a call, is yourself, or your phone is not registered"),
                      "503": _error("Asterisk or database unavailable (nothing rings, nothing written)")}}}
        for mode, summary in (
            ("whisper", "Ring the signed-in supervisor's own phone to speak to the agent on a live call; the caller "
                        "does not hear it (ChanSpy w)"),
            ("barge", "Ring the signed-in supervisor's own phone to join the agent's live call: both parties hear "
                      "it (ChanSpy B)"))},
    "/api/v1/audit/live-listen": audit_log_get("The live listening log, newest first (admins only)",
                                               "liveListenAudit", "listens", _LOG_ROW),
}
