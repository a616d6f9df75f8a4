"""OpenAPI paths of the agency directory (agent_console/api/agencies.py), merged into openapi.DOCUMENT."""
from __future__ import annotations

from typing import Any

from agent_console.openapi_parts import error as _error
from agent_console.openapi_rules import SOME_TEXT

_BRANCHES = {"type": "array", "minItems": 1, "description": "a branch listed twice counts once",
             "items": {"type": "integer", "minimum": 1, "maximum": 4}}
_AGENCY = {"type": "object", "required": ["id", "name", "contact", "branches", "active"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "contact": {"type": "string"},
    "phone": {"type": ["string", "null"], "description": "the number a blind transfer agency-<id> dials; null: none"},
    "branches": {**_BRANCHES, "description": "the branches whose calls may be forwarded to it"},
    "active": {"type": "boolean", "description": "false: no longer offered to agents; kept for the reports"},
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}}}
_FIELDS = {"name": {"type": "string", "maxLength": 120, "pattern": SOME_TEXT,
                    "description": "unique, case, spaces and diacritics aside ('Sở Y tế' = 'SO Y TE')"},
           "contact": {"type": "string", "maxLength": 200},
           "phone": {"type": ["string", "null"], "pattern": "^([0-9]{3,15})?$",
                     "description": "3-15 digits: the browser phone may transfer callers to it; null or '' clears it"},
           "branches": _BRANCHES, "active": {"type": "boolean"}}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


PATHS: dict[str, Any] = {
    "/api/v1/agencies": {"get": {
        "summary": "The agency directory's active entries, by name (anyone signed in: the wrap-up form picks from it)",
        "operationId": "listAgencies",
        "parameters": [
            {"name": "branch", "in": "query", "description": "only the entries serving this branch",
             "schema": {"type": "integer", "minimum": 1, "maximum": 4}},
            {"name": "all", "in": "query", "description": "1: the inactive entries too (admins only)",
             "schema": {"enum": ["1"]}}],
        "responses": {"200": _json({"type": "object", "properties": {"agencies": {"type": "array", "items": _AGENCY}}},
                                   "the entries"),
                      "400": _error("bad branch or all"), "401": _error("no valid token"),
                      "403": _error("all=1 by someone not an admin")}}},
    "/api/v1/admin/agencies": {"post": {
        "summary": "Add an agency to the directory (admins only; audited in agency_changes)",
        "operationId": "createAgency",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["name", "branches"], "properties": _FIELDS,
            "additionalProperties": False}}}},
        "responses": {"201": _json(_AGENCY, "the new entry"), "400": _error("bad field (named), nothing stored"),
                      "401": _error("no valid token"), "403": _error("not an admin"),
                      "409": _error("another entry has that name")}}},
    "/api/v1/admin/agencies/{id}": {"patch": {
        "summary": "Edit or (active: false) deactivate an entry (admins only; audited; a new name is carried to the"
                   " wrap-ups and tickets forwarded to it)",
        "operationId": "updateAgency", "parameters": [_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "minProperties": 1, "properties": _FIELDS,
            "additionalProperties": False}}}},
        "responses": {"200": _json(_AGENCY, "the entry as it is now"), "400": _error("bad field (named), nothing stored"),
                      "401": _error("no valid token"), "403": _error("not an admin"), "404": _error("no such agency"),
                      "409": _error("another entry has that name")}}},
    "/api/v1/admin/agencies/{id}/changes": {"get": {
        "summary": "The entry's audit: who created or changed it, when, before and after (admins only)",
        "operationId": "agencyChanges", "parameters": [_ID],
        "responses": {"200": _json({"type": "object", "properties": {"changes": {"type": "array", "items": {
                          "type": "object", "properties": {
                              "id": {"type": "integer"}, "by": {"type": ["string", "null"],
                                                                "description": "null: the migration"},
                              "action": {"enum": ["create", "edit", "migrate"]}, "before": {"type": ["object", "null"]},
                              "after": {"type": "object"}, "at": {"type": "string", "format": "date-time"}}}}}},
                                   "newest first"),
                      "401": _error("no valid token"), "403": _error("not an admin"), "404": _error("bad id")}}},
}
