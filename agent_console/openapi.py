"""The hand-written OpenAPI 3.1 description of the routes that exist (GET /api/v1/openapi.json).

tests/integration/test_console_api.py checks that every /api/ route of the app is listed here.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_console import (openapi_admin, openapi_console, openapi_listen, openapi_phone, openapi_recordings,
                           openapi_written)
from agent_console import openapi_agencies, openapi_callbacks, openapi_reports, openapi_sms
from agent_console.openapi_parts import error as _error
from agent_console import openapi_followups  # issue 13: the worklist and the surge switch
from agent_console.openapi_rules import SOME_TEXT, TEXT_LINES_OPTIONAL, finished

routes = web.RouteTableDef()


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _agent_command(command: str, summary: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary + " (agents: only themselves)", "operationId": f"agent{command.title()}",
        "parameters": [{"name": "ext", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": _ok("the agent's new state", "AgentState"), "400": _error("bad body"),
                      "401": _error("no valid token"), "403": _error("another agent"),
                      "404": _error("no such agent"), "409": _error("not possible in the agent's state"),
                      "503": _error("Asterisk or database unavailable")}}
    if command == "pause":
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/PauseRequest"}}}}
    if command == "login":
        operation["requestBody"] = openapi_phone.LOGIN_BODY
    return operation


_NULLABLE_STR = {"type": ["string", "null"]}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
_PHONE = {"enum": ["desk", "browser", "both", None],
          "description": "the phone the queues ring (login's phone); null when logged out"}
_NULLABLE_NUM = {"type": ["number", "null"]}

_CALL = {
    "type": "object",
    "required": ["linkedid", "caller", "started_at", "branch", "queue", "outcome", "wait_s", "talk_s", "agent"],
    "properties": {
        "linkedid": {"type": "string", "description": "Asterisk Linkedid: the call's key"},
        "caller": {"type": "string", "description": "caller number (same as caller_number)"},
        "caller_number": {"type": "string"},
        "caller_name": {"type": "string"},
        "language": _NULLABLE_STR,
        "branch": {"type": ["integer", "null"], "minimum": 1, "maximum": 4},
        "queue": _NULLABLE_STR,
        "emergency": {"type": "boolean"},
        "started_at": {"type": "string", "format": "date-time"},
        "answered_at": _NULLABLE_TIME,
        "ended_at": _NULLABLE_TIME,
        "agent": {**_NULLABLE_STR, "description": "extension of the agent who answered"},
        "wait_s": _NULLABLE_NUM,
        "talk_s": _NULLABLE_NUM,
        "ring_attempts": {"type": "integer"},
        "hangup_by": {"enum": ["caller", "agent", "system", None]},
        "outcome": {"enum": ["abandoned_ivr", "short_abandon", "abandoned_queue", "answered", "transferred_115",
                             "emergency_fallback", "left_message", "failed", None]},
        "complete": {"type": "boolean", "description": "ended and outcome known"},
        "updated_at": {"type": "string", "format": "date-time"},
        "emergency_dial_s": {**_NULLABLE_NUM, "description": "branch 1: seconds from the caller's key 1 to Dial(115)"},
        "emergency_answer_s": {**_NULLABLE_NUM, "description": "branch 1: seconds from the key to 115's answer"},
        "emergency_dial_status": {"enum": ["ANSWER", "BUSY", "NOANSWER", "CHANUNAVAIL", "CONGESTION", "CANCEL",
                                           "OTHER", None],
                                  "description": "how the dial to 115 ended (CANCEL: the caller hung up while it rang)"},
        "survey": {"type": ["integer", "null"], "minimum": 1, "maximum": 5,
                   "description": "the caller's post-call survey key; null: not asked, or no answer"},
        "survey_asked": {"type": "boolean", "description": "the survey was asked (the agent ended the call)"},
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "1022 contact center API",
        "version": "1",
        "description": "Bảng điều khiển 1022 — REST API of the citizen hotline console. "
                       "Log in with POST /api/v1/auth/login, then send Authorization: Bearer <token>. "
                       "Errors are JSON {\"error\": \"...\"}.",
    },
    "servers": [{"url": "/"}],
    "security": [{"bearerAuth": []}],
    "paths": {
        "/healthz": {"get": {
            "summary": "Each component up or down", "security": [], "operationId": "healthz",
            "responses": {"200": _ok("all components up", "Health"),
                          "503": _ok("at least one component down", "Health")}}},
        "/api/v1/auth/login": {"post": {
            "summary": "Exchange extension and password for a bearer token", "security": [],
            "operationId": "login",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/LoginRequest"}}}},
            "responses": {"200": _ok("logged in", "LoginResponse"),
                          "400": _error("malformed body"), "401": _error("bad credentials"),
                          "429": _error("too many failed sign-ins from this address or for this account"),
                          "503": _error("database unavailable")}}},
        "/api/v1/auth/logout": {"post": {
            "summary": "End this token's session", "operationId": "logout",
            "responses": {"200": {"description": "logged out"}, "401": _error("no valid token")}}},
        "/api/v1/calls": {"get": {
            "summary": "Recent calls, newest first (agents: only their own)", "operationId": "listCalls",
            "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500,
                                                            "default": 100}},
                {"name": "before", "in": "query", "description": "only calls started before this time "
                 "(use next_before of the previous page)", "schema": {"type": "string", "format": "date-time"}},
                {"name": "agent", "in": "query", "description": "extension filter (supervisors, admins)",
                 "schema": {"type": "string"}}],
            "responses": {"200": _ok("a page of calls", "CallList"), "400": _error("bad parameter"),
                          "401": _error("no valid token"), "403": _error("agent asked for another agent"),
                          "503": _error("database unavailable")}}},
        "/api/v1/calls/{linkedid}": {"get": {
            "summary": "One call with its IVR path", "operationId": "getCall",
            "parameters": [{"name": "linkedid", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _ok("the call", "CallDetail"), "401": _error("no valid token"),
                          "403": _error("another agent's call"), "404": _error("no such call"),
                          "503": _error("database unavailable")}}},
        "/api/v1/agents": {"get": {
            "summary": "Agents and their live state", "operationId": "listAgents",
            "responses": {"200": _ok("every agent", "AgentList"), "401": _error("no valid token"),
                          "503": _error("database or agent control unavailable")}}},
        **{f"/api/v1/agents/{{ext}}/{command}": {"post": _agent_command(command, summary)} for command, summary in (
            ("login", "Log the agent in to the queues of his branches"),
            ("logout", "Remove the agent from all his queues"),
            ("ready", "End a pause or the wrap-up: the agent takes calls again"),
            ("pause", "Pause the agent in all his queues with a reason"))},
        "/api/v1/queues": {"get": {
            "summary": "Live queues (from Asterisk): waiting callers, longest wait, members",
            "operationId": "listQueues",
            "responses": {"200": _ok("the queues", "QueueList"), "401": _error("no valid token"),
                          "503": _error("Asterisk unavailable")}}},
        "/api/v1/calls/{linkedid}/wrapup": {"post": {
            "summary": "Submit the wrap-up of a call: stores it, creates or updates the call's ticket, "
                       "and the agent leaves wrap-up", "operationId": "wrapupCall",
            "parameters": [{"name": "linkedid", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/WrapupRequest"}}}},
            "responses": {"200": _ok("stored", "WrapupResponse"),
                          "400": _error("invalid form: the message names the field; nothing stored"),
                          "401": _error("no valid token"), "403": _error("another agent's call"),
                          "404": _error("no such call"),
                          "422": _error("the agency is not in the directory, inactive or not serving the call's branch"),
                          "503": _error("database unavailable")}}},
        "/api/v1/reports/summary": {"get": {
            "summary": "Received, resolved, forwarded, success rate... by day and branch (supervisors, admins)",
            "operationId": "reportSummary",
            "parameters": [
                {"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "required": True, "description": "inclusive; at most 366 days",
                 "schema": {"type": "string", "format": "date"}},
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}},
                {"name": "table", "in": "query", "description": "format=csv: day x branch rows (default) or the"
                 " survey per agent", "schema": {"type": "string", "enum": ["day_branch", "survey_agents"]}},
                {"name": "short_abandon_s", "in": "query", "description": "default: the controller's IVR_SHORT_ABANDON",
                 "schema": {"type": "integer", "minimum": 0, "maximum": 600}},
                {"name": "service_level_s", "in": "query", "description": "default 20",
                 "schema": {"type": "integer", "minimum": 0, "maximum": 600}}],
            "responses": {"200": {"description": "docs/metrics.md (time_to_115, survey and followups blocks too); text/csv with"
                                             " format=csv"},
                          "400": _error("bad parameter"), "401": _error("no valid token"),
                          "403": _error("agents may not read reports"), "503": _error("database unavailable")}}},
        "/api/v1/tickets": {"get": {
            "summary": "Tickets, most recently updated first (agents: those they created or claimed)",
            "operationId": "listTickets",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"enum": ["open", "forwarded", "verified", "closed"]}},
                {"name": "linkedid", "in": "query", "schema": {"type": "string"}},
                {"name": "channel", "in": "query", "schema": {"enum": ["phone", "web", "sms"]}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
            "responses": {"200": _ok("tickets", "TicketList"), "400": _error("bad parameter"),
                          "401": _error("no valid token")}}},
        **openapi_console.PATHS,
        **openapi_followups.PATHS,
        **openapi_recordings.PATHS,
        **openapi_listen.PATHS,
        **openapi_phone.PATHS,
        **openapi_admin.PATHS,
        **openapi_written.PATHS,
        **openapi_reports.PATHS,
        **openapi_agencies.PATHS,
        **openapi_sms.PATHS,
        **openapi_callbacks.PATHS,
        "/api/v1/openapi.json": {"get": {
            "summary": "This document", "security": [], "operationId": "openapi",
            "responses": {"200": {"description": "OpenAPI 3.1 document"}}}},
    },
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                           "description": "opaque token from POST /api/v1/auth/login"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
            "Health": {"type": "object", "required": ["status", "components"], "properties": {
                "status": {"enum": ["up", "degraded"]},
                "components": {"type": "object", "additionalProperties": {"enum": ["up", "down"]},
                               "description": "asterisk, ami, agi, database"}}},
            "LoginRequest": {"type": "object", "required": ["username", "password"], "properties": {
                "username": {"type": "string", "minLength": 1, "maxLength": 64, "description": "extension, e.g. 1001"},
                "password": {"type": "string", "minLength": 1, "maxLength": 1024}}},
            "LoginResponse": {"type": "object", "required": ["token", "role", "ext"], "properties": {
                "token": {"type": "string"}, "token_type": {"const": "Bearer"},
                "role": {"enum": ["agent", "supervisor", "admin"]}, "ext": {"type": "string"},
                "expires_at": {"type": "string", "format": "date-time"}}},
            "Call": _CALL,
            "CallList": {"type": "object", "required": ["calls"], "properties": {
                "calls": {"type": "array", "items": {"$ref": "#/components/schemas/Call"}},
                "next_before": {**_NULLABLE_TIME, "description": "pass as before= for the next page"}}},
            "IvrStep": {"type": "object", "properties": {
                "seq": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
                "kind": {"type": "string"}, "value": {"type": "string"}}},
            "AgentState": {"type": "object", "required": ["ext", "name", "state"], "properties": {
                "ext": {"type": "string"}, "name": {"type": "string"},
                "state": {"enum": ["logged_out", "ready", "ringing", "on_call", "wrap_up", "paused"]},
                "reason": {**_NULLABLE_STR, "description": "pause reason; wrap-up while in wrap_up"},
                "since": _NULLABLE_TIME, "linkedid": {**_NULLABLE_STR, "description": "the call"},
                "phone": _PHONE}},
            "AgentList": {"type": "object", "properties": {
                "agents": {"type": "array", "items": {"$ref": "#/components/schemas/AgentState"}}}},
            "PauseRequest": {"type": "object", "required": ["reason"], "properties": {
                "reason": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": SOME_TEXT}}},
            "Queue": {"type": "object", "properties": {
                "queue": {"type": "string"}, "waiting": {"type": "integer"}, "longest_wait_s": {"type": "integer"},
                "members": {"type": "integer"}, "available": {"type": "integer"}}},
            "QueueList": {"type": "object", "properties": {
                "queues": {"type": "array", "items": {"$ref": "#/components/schemas/Queue"}}}},
            "WrapupRequest": {"type": "object", "required": ["category", "outcome"], "additionalProperties": False,
                              "properties": {
                "category": {"type": "string", "maxLength": 80, "pattern": SOME_TEXT},
                "outcome": {"enum": ["answered", "resolved", "forwarded", "needs_verification"]},
                "agency_id": {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1, "description": "the agency directory's entry (GET "
                              "/api/v1/agencies); forwarded needs it or agency. 422 when it is not in the directory,"
                              " inactive or not serving the call's branch"},
                "agency": {"type": ["string", "null"], "maxLength": 120,
                           "description": "instead of agency_id: a directory entry's name (case, spaces, diacritics"
                                          " aside); 422 when none has it"},
                "notes": {"type": ["string", "null"], "maxLength": 2000, "pattern": TEXT_LINES_OPTIONAL}},
                              "if": {"required": ["outcome"], "properties": {"outcome": {"const": "forwarded"}}},
                              "then": {"anyOf": [
                                  {"required": ["agency_id"], "properties": {"agency_id": {"type": "integer"}}},
                                  {"required": ["agency"],
                                   "properties": {"agency": {"type": "string", "pattern": SOME_TEXT}}}]}},
            "Ticket": {"type": "object", "properties": {
                "id": {"type": "integer"}, "linkedid": _NULLABLE_STR, "caller_number": {"type": "string"},
                "branch": {"type": ["integer", "null"]}, "category": {"type": "string"},
                "status": {"enum": ["open", "forwarded", "verified", "closed"]}, "agency": _NULLABLE_STR,
                "summary": {"type": "string"}, "created_by": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
                "channel": {"enum": ["phone", "web", "sms"]}, "tracking_code": _NULLABLE_STR,
                "citizen_name": {"type": "string"}, "citizen_area": {"type": "string"},
                "claimed_by": {**_NULLABLE_STR, "description": "the agent working a written request"},
                "claimed_at": _NULLABLE_TIME}},
            "TicketList": {"type": "object", "properties": {
                "tickets": {"type": "array", "items": {"$ref": "#/components/schemas/Ticket"}}}},
            "WrapupResponse": {"type": "object", "properties": {
                "wrapup": {"type": "object"}, "ticket": {"$ref": "#/components/schemas/Ticket"},
                "agent": {"type": "object", "required": ["ext", "state"], "description": "the agent's live state "
                          "(AgentState without the name)", "properties": {
                    "ext": {"type": "string"},
                    "state": {"enum": ["logged_out", "ready", "ringing", "on_call", "wrap_up", "paused"]},
                    "reason": _NULLABLE_STR, "since": _NULLABLE_TIME, "linkedid": _NULLABLE_STR,
                    "phone": _PHONE}}}},
            "CallDetail": {"allOf": [{"$ref": "#/components/schemas/Call"}, {"type": "object", "properties": {
                "ivr_path": {"type": "array", "items": {"$ref": "#/components/schemas/IvrStep"}}}}]},
        },
    },
}

DOCUMENT["paths"]["/api/v1/tickets"]["post"] = openapi_console.CREATE_TICKET


@routes.get("/api/v1/openapi.json", name="openapi")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(finished(DOCUMENT))
