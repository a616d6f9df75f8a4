"""OpenAPI paths of the browser console's API additions (merged into openapi.DOCUMENT)."""
from __future__ import annotations

from typing import Any

from agent_console.openapi_parts import ID_SCHEMA
from agent_console.openapi_parts import error as _error
from agent_console.openapi_rules import SOME_TEXT, TEXT_LINES_OPTIONAL


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_TICKET = {"$ref": "#/components/schemas/Ticket"}
_TICKET_DETAIL = {"description": "the ticket with its history [{at, by, status, note}]",
                  "content": {"application/json": {"schema": {"allOf": [_TICKET, {"type": "object", "properties": {
                      "history": {"type": "array", "items": {"type": "object"}}}}]}}}}
_ID = {"name": "id", "in": "path", "required": True, "schema": ID_SCHEMA}

# POST on the list's path: openapi.py adds it next to the GET.
CREATE_TICKET: dict[str, Any] = {
    "summary": "Create a ticket without a call (status open)", "operationId": "createTicket",
    "requestBody": _json_body({"type": "object", "required": ["category"], "properties": {
        "caller_number": {"type": ["string", "null"], "maxLength": 32}, "branch": {"type": ["integer", "null"], "minimum": 1, "maximum": 4},
        "category": {"type": "string", "maxLength": 80, "pattern": SOME_TEXT},
        "summary": {"type": ["string", "null"], "maxLength": 2000, "pattern": TEXT_LINES_OPTIONAL},
        "agency": {"type": ["string", "null"], "maxLength": 120}}}),
    "responses": {"201": _TICKET_DETAIL, "400": _error("invalid body"), "401": _error("not signed in")}}

PATHS: dict[str, Any] = {
    "/api/v1/tickets/search": {"get": {
        "summary": "Search tickets by caller number, category, summary or agency (agents: their own)",
        "operationId": "searchTickets",
        "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}},
                       {"name": "status", "in": "query", "description": "empty: any status",
                        "schema": {"enum": ["", "open", "forwarded", "verified", "closed"]}}],
        "responses": {"200": {"description": "tickets"}, "400": _error("bad status"),
                      "401": _error("not signed in")}}},
    "/api/v1/tickets/{id}": {"get": {
        "summary": "One ticket with its history (agents: tickets they created)", "operationId": "getTicket",
        "parameters": [_ID], "responses": {"200": _TICKET_DETAIL, "403": _error("another agent's ticket"),
                                           "404": _error("no such ticket")}}},
    "/api/v1/tickets/{id}/status": {"post": {
        "summary": "Move a ticket: open → forwarded → verified → closed (closed may be reopened); "
                   "agency required to forward", "operationId": "changeTicketStatus", "parameters": [_ID],
        "requestBody": _json_body({"type": "object", "required": ["status"], "properties": {
            "status": {"enum": ["open", "forwarded", "verified", "closed"]},
            "agency": {"type": "string", "maxLength": 120},
            "note": {"type": "string", "maxLength": 2000, "pattern": TEXT_LINES_OPTIONAL}}}),
        "responses": {"200": _TICKET_DETAIL, "400": _error("invalid body"), "403": _error("another agent's ticket"),
                      "404": _error("no such ticket"), "409": _error("that status cannot follow the current one")}}},
    "/api/v1/callers/{number}/history": {"get": {
        "summary": "A caller number's earlier calls and tickets, and the IVR path of the current call "
                   "(agents: only while ringing with, talking to or wrapping up that caller)",
        "operationId": "callerHistory",
        "parameters": [{"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "calls, tickets, ivr_path", "content": {"application/json": {
            "schema": {"type": "object", "properties": {
                "calls": {"type": "array", "items": {"type": "object"}},
                "tickets": {"type": "array", "items": {"$ref": "#/components/schemas/Ticket"}},
                "ivr_path": {"type": "array", "items": {"$ref": "#/components/schemas/IvrStep"}}}}}}},
            "401": _error("not signed in"), "403": _error("not this agent's caller")}}},
    "/api/v1/ws": {"get": {
        "summary": "WebSocket of live updates: {type: hello|agent|ringing|queue, ...}. Auth: bearer, the "
                   "session cookie or ?token=; the Origin must match the Host (403 otherwise). Agents get "
                   "their own agent/ringing messages and every queue count; supervisors everything.",
        "operationId": "liveUpdates",
        "parameters": [{"name": "token", "in": "query", "schema": {"type": "string"}}],
        "responses": {"101": {"description": "switching to WebSocket"}, "401": _error("not signed in"),
                      "403": {"description": "Origin does not match the Host"}}}},
    "/api/v1/wallboard": {"get": {
        "summary": "The supervisor's wallboard: per queue waiting, longest_wait_s (now) and today's answered, "
                   "abandoned, service_level (answered within 20 s ÷ answered), abandon_rate (abandoned ÷ answered + "
                   "abandoned; the local day `today` in the hotline's `timezone`, IVR_TIMEZONE); totals across queues; "
                   "emergency: today's branch-1 calls, transferred_115, fallback; calls: the live calls (phase menu, "
                   "calling_115, at_115, waiting, talking, after; since; caller_number; queue; agent); "
                   "thresholds (IVR_WALL_*); agents: ext, name, state, reason, since; followups: the abandoned-call "
                   "worklist's open size and oldest_at; surge: each surge scope (all, cdc, doctors, violations) with "
                   "enabled, message, changed_by, changed_at. Supervisors and admins only.",
        "operationId": "wallboard",
        "responses": {"200": {"description": "queues, totals, emergency, calls, agents, service_level_s, thresholds, today, timezone, followups, surge"}, "401": _error("not signed in"),
                      "403": _error("not a supervisor or admin"), "503": _error("telephony unavailable")}}},
}
