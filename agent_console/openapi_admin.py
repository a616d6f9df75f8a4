"""OpenAPI paths of the admins' sign-in locks (agent_console/api/sign_in_locks.py), merged into
openapi.DOCUMENT."""
from __future__ import annotations

from typing import Any

from agent_console.openapi_parts import ID_SCHEMA
from agent_console.openapi_parts import error as _error
from agent_console.openapi_rules import CONTROLS

LOCK_KEY = f"^(account|address):[^{CONTROLS}]+$"

_LOCK = {"type": "object", "required": ["key", "kind", "value", "failures", "retry_after_s"], "properties": {
    "key": {"type": "string", "description": "account:<username> or address:<client address>; DELETE it to lift"},
    "kind": {"enum": ["account", "address"]},
    "value": {"type": "string", "description": "the username as typed (maybe unknown) or the client address"},
    "failures": {"type": "integer", "description": "failed sign-ins in the window"},
    "retry_after_s": {"type": "integer", "description": "seconds until the lock passes by itself"}}}

_TIME = {"type": "string", "format": "date-time"}
_SIP_BAN = {"type": "object", "required": ["id", "address", "banned_at", "until", "failures", "active"], "properties": {
    "id": {"type": "integer"}, "address": {"type": "string"}, "banned_at": _TIME, "until": _TIME,
    "failures": {"type": "integer"}, "accounts": {"type": "string", "description": "accounts tried, comma-separated"},
    "lifted_at": {"type": ["string", "null"], "format": "date-time"}, "lifted_by": {"type": ["string", "null"]},
    "active": {"type": "boolean"}}}

PATHS: dict[str, Any] = {
    "/api/v1/admin/sign-in-locks": {"get": {
        "summary": "Accounts and addresses whose failed sign-ins delay or refuse a sign-in now (admins only)",
        "operationId": "listSignInLocks",
        "responses": {"200": {"description": "the current locks", "content": {"application/json": {"schema": {
                          "type": "object", "required": ["locks"],
                          "properties": {"locks": {"type": "array", "items": _LOCK}}}}}},
                      "401": _error("no valid token"), "403": _error("not an admin"),
                      "503": _error("database unavailable")}}},
    "/api/v1/admin/sign-in-locks/{key}": {"delete": {
        "summary": "Lift a lock: forget the account's or the address's failed sign-ins (admins only; logged)",
        "operationId": "liftSignInLock",
        "parameters": [{"name": "key", "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": LOCK_KEY},
                        "description": "account:<username> or address:<client address>"}],
        "responses": {"204": {"description": "lifted (also when there was nothing to lift)"},
                      "400": _error("not account:… or address:…"), "401": _error("no valid token"),
                      "403": _error("not an admin"), "503": _error("database unavailable")}}},
    "/api/v1/admin/sip-bans": {"get": {
        "summary": "SIP addresses banned after failed authentications, newest first (admins only)",
        "operationId": "listSipBans",
        "responses": {"200": {"description": "the latest bans", "content": {"application/json": {"schema": {
                          "type": "object", "required": ["bans"],
                          "properties": {"bans": {"type": "array", "items": _SIP_BAN}}}}}},
                      "401": _error("no valid token"), "403": _error("not an admin"),
                      "503": _error("database or SIP guard unavailable")}}},
    "/api/v1/admin/sip-bans/{id}": {"delete": {
        "summary": "Lift an active SIP ban: Asterisk accepts the address again at once (admins only; audited)",
        "operationId": "liftSipBan",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": ID_SCHEMA}],
        "responses": {"200": {"description": "the lifted ban", "content": {"application/json": {"schema": _SIP_BAN}}},
                      "401": _error("no valid token"), "403": _error("not an admin"),
                      "404": _error("no such active ban"), "503": _error("database or SIP guard unavailable")}}},
}
