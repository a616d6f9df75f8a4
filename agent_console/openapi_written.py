"""OpenAPI paths of written requests: the citizen portal's public API and the agents' queue, claim
and replies (merged into openapi.DOCUMENT)."""
from __future__ import annotations

from typing import Any

from agent_console.openapi_parts import ID_SCHEMA
from agent_console.openapi_parts import error as _error
from agent_console.openapi_rules import SOME_TEXT, TEXT_LINES

_TICKET = {"description": "the ticket with its history [{at, by, status, note, public}]",
           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ticket"}}}}
_ID = {"name": "id", "in": "path", "required": True, "schema": ID_SCHEMA}
_SUBJECT = {"enum": ["cdc", "doctors", "violations"],
            "description": "the branch; an emergency is a call to 115, not a request"}
_LOOKUP = {"type": "object", "properties": {
    "tracking_code": {"type": "string"}, "branch": {"type": "integer"},
    "status": {"enum": ["received", "in_progress", "forwarded", "resolved"]},
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
    "replies": {"type": "array", "items": {"type": "object", "properties": {
        "at": {"type": "string", "format": "date-time"}, "text": {"type": "string"}}}}}}

PATHS: dict[str, Any] = {
    "/api/v1/public/requests": {"post": {
        "summary": "A citizen's written request from the portal (no sign-in): becomes a ticket with channel web. "
                   "The same phone, subject and text again within minutes returns the first code. Limited per "
                   "address and per phone within a window (429).", "operationId": "createPublicRequest",
        "security": [],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["subject", "phone", "text"], "properties": {
                "subject": _SUBJECT,
                "phone": {"type": "string", "maxLength": 32, "pattern": SOME_TEXT,
                          "description": "a Vietnamese mobile or landline number (another is a 400)"},
                "name": {"type": "string", "maxLength": 80}, "area": {"type": "string", "maxLength": 120,
                                                                     "description": "district / ward"},
                "text": {"type": "string", "maxLength": 2000, "pattern": TEXT_LINES},
                "website": {"description": "left empty by people (a honeypot): any value gets a code that "
                                           "leads nowhere"}}}}}},
        "responses": {
            "201": {"description": "the tracking code (8 characters of 23456789ABCDEFGHJKLMNPQRSTUVWXYZ)",
                    "content": {"application/json": {"schema": {"type": "object", "properties": {
                        "tracking_code": {"type": "string"}, "duplicate": {"type": "boolean"}}}}}},
            "400": {"description": "invalid field: {error, field}"},
            "429": _error("too many submissions from this address or for this phone"),
            "503": _error("database unavailable")}}},
    "/api/v1/public/requests/{code}": {"get": {
        "summary": "The status and the public replies of a request, by its code and the phone it was sent with; "
                   "a wrong code and a wrong phone get the same 404", "operationId": "getPublicRequest",
        "security": [],
        "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
                       {"name": "phone", "in": "query", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "the request as the citizen sees it",
                              "content": {"application/json": {"schema": _LOOKUP}}},
                      "404": _error("no request with this code and phone")}}},
    "/api/v1/written-requests": {"get": {
        "summary": "The written-requests queue: requests not closed, oldest first, with waited_s, overdue (waited "
                   "longer than target_s, IVR_WRITTEN_TARGET_H) and claimed_by (agents: their branches)",
        "operationId": "writtenRequests",
        "parameters": [{"name": "branch", "in": "query", "schema": _SUBJECT}],
        "responses": {"200": {"description": "requests, target_s, branches"}, "400": _error("bad branch"),
                      "401": _error("not signed in"), "403": _error("a branch the agent does not serve")}}},
    "/api/v1/tickets/{id}/claim": {"post": {
        "summary": "Claim a written request: one agent each (a single conditional UPDATE)",
        "operationId": "claimTicket", "parameters": [_ID],
        "responses": {"200": _TICKET, "401": _error("not signed in"), "403": _error("a branch the agent does not serve"),
                      "404": _error("no such ticket"),
                      "409": _error("claimed by another agent, closed, or not a written request")}}},
    "/api/v1/tickets/{id}/replies": {"post": {
        "summary": "A reply the citizen reads on the portal (public, the default) or an internal note. On an sms "
                   "request a public reply is sent as an SMS through the gateway (sms_sends in the answer lists "
                   "each send and its delivery status); 503 when the gateway does not take it",
        "operationId": "replyToTicket", "parameters": [_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["text"], "properties": {
                "text": {"type": "string", "maxLength": 2000, "pattern": TEXT_LINES},
                "public": {"type": "boolean", "default": True}}}}}},
        "responses": {"200": _TICKET, "400": _error("invalid body"), "403": _error("not the agent's ticket"),
                      "404": _error("no such ticket"), "409": _error("a public reply on a ticket from a call"),
                      "503": _error("the SMS gateway did not take the SMS (recorded as failed)")}}},
}
