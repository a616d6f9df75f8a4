"""The hand-written OpenAPI 3.1 description of the routes that exist (GET /api/v1/openapi.json).

tests/integration/test_console_api.py checks that every /api/ route of the app is listed here.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

routes = web.RouteTableDef()


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


_NULLABLE_STR = {"type": ["string", "null"]}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
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
                "username": {"type": "string", "description": "extension, e.g. 1001"},
                "password": {"type": "string"}}},
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
            "CallDetail": {"allOf": [{"$ref": "#/components/schemas/Call"}, {"type": "object", "properties": {
                "ivr_path": {"type": "array", "items": {"$ref": "#/components/schemas/IvrStep"}}}}]},
        },
    },
}


@routes.get("/api/v1/openapi.json", name="openapi")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(DOCUMENT)
