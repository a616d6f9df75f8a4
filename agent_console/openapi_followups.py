"""OpenAPI paths of the abandoned-call worklist and the surge switch (agent_console/api/followups.py,
agent_console/api/surge.py), merged into openapi.DOCUMENT."""
from __future__ import annotations

from typing import Any

from agent_console.openapi_parts import error as _error

_TIME = {"type": "string", "format": "date-time"}
_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_ID_PARAM = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]

_ITEM = {"type": "object", "required": ["id", "number", "branch", "abandoned_at", "wait_s", "attempts", "state"],
         "properties": {
    "id": {"type": "integer"},
    "number": {"type": "string", "description": "the citizen's number (personal data)"},
    "branch": {"type": ["integer", "null"], "description": "1-4, the branch of the queue the citizen left"},
    "language": {"type": ["string", "null"], "enum": ["vi", "en", None]},
    "abandoned_at": {**_TIME, "description": "when the first abandoned call of this item began (the item's age)"},
    "last_abandoned_at": _TIME,
    "wait_s": {"type": ["number", "null"], "description": "how long the citizen waited in the queue (latest abandon)"},
    "abandons": {"type": "integer", "description": "abandoned calls from this number since it was last served"},
    "linkedid": {"type": ["string", "null"], "description": "the first abandoned call"},
    "callback_request_id": {"type": ["integer", "null"],
                            "description": "the keep-place callback request that ran out of attempts, if any"},
    "attempts": {"type": "integer", "description": "calls placed to the citizen so far (callbacks included)"},
    "state": {"enum": ["open", "closed"]},
    "closed_reason": {"enum": ["reached", "wrong_number", "answered_again", "callback_reached", None]},
    "closed_at": _TIME_OR_NULL,
    "closed_by": {"type": ["string", "null"], "description": "the agent, or the answered call's linkedid"},
    "last_agent": {"type": ["string", "null"], "description": "who placed the latest call from the worklist"},
    "last_call_at": _TIME_OR_NULL,
    "last_outcome": {"enum": ["reached", "no_answer", "wrong_number", None],
                     "description": "null while the latest call has no outcome yet"}}}

_SURGE_STATE = {"type": "object", "properties": {
    "scope": {"enum": ["all", "cdc", "doctors", "violations"], "description": "the whole hotline, or a branch's queue"},
    "branch": {"type": ["integer", "null"]}, "enabled": {"type": "boolean"}, "message": {"type": "string"},
    "changed_by": {"type": ["string", "null"]}, "changed_at": _TIME_OR_NULL}}

_SURGE_BODY = {"type": "object", "required": ["enabled"], "properties": {
    "enabled": {"type": "boolean"},
    "branch": {"enum": [2, 3, 4, None], "description": "one branch; absent or null: the whole hotline"},
    "message": {"type": "string", "maxLength": 500,
                "description": "a note for the wallboard and the agents (what callers hear is the prompt 1022/surge)"}}}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


PATHS: dict[str, Any] = {
    "/api/v1/followups": {"get": {
        "summary": "The abandoned-call worklist: open items oldest first (agents: the branches they serve)",
        "operationId": "listFollowups",
        "parameters": [
            {"name": "state", "in": "query", "schema": {"enum": ["open", "closed"], "default": "open"}},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500,
                                                        "default": 200}}],
        "responses": {"200": _json("the items and the worklist's size", {"type": "object", "properties": {
            "followups": {"type": "array", "items": _ITEM},
            "summary": {"type": "object", "properties": {"open": {"type": "integer"}, "oldest_at": _TIME_OR_NULL}}}}),
            "400": _error("bad state or limit"), "401": _error("no valid token")}}},
    "/api/v1/followups/{id}/call": {"post": {
        "summary": "Call the citizen: the signed-in person's own phone rings first, then the citizen through "
                   "the outbound trunk",
        "operationId": "callFollowup", "parameters": _ID_PARAM,
        "responses": {"202": _json("Asterisk is ringing your phone; the item with its new attempt",
                                   {**_ITEM, "properties": {**_ITEM["properties"], "attempt_id": {"type": "integer"}}}),
                      "401": _error("no valid token"),
                      "404": _error("no such item (or not of your branches)"),
                      "409": _error("closed, someone else is calling it, or your phone is not registered"),
                      "503": _error("Asterisk or database unavailable (nothing rings, nothing written)")}}},
    "/api/v1/followups/{id}/outcome": {"post": {
        "summary": "Record the outcome of your latest call to the citizen (supervisors: anyone's); reached "
                   "and wrong_number close the item",
        "operationId": "followupOutcome", "parameters": _ID_PARAM,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["outcome"],
            "properties": {"outcome": {"enum": ["reached", "no_answer", "wrong_number"]}}}}}},
        "responses": {"200": _json("the item", _ITEM), "400": _error("body is not a JSON object"),
                      "401": _error("no valid token"), "404": _error("no such item"),
                      "409": _error("no call of yours without an outcome"), "422": _error("unknown outcome")}}},
    "/api/v1/surge": {
        "get": {"summary": "Surge mode of the hotline and of each branch (supervisors also get the change log)",
                "operationId": "getSurge",
                "responses": {"200": _json("each scope's state", {"type": "object", "properties": {
                    "surge": {"type": "array", "items": _SURGE_STATE},
                    "history": {"type": "array", "items": {"type": "object"}}}}),
                    "401": _error("no valid token")}},
        "post": {"summary": "Turn surge mode on or off for the hotline or one branch (supervisors, admins; audited)",
                 "operationId": "switchSurge",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": _SURGE_BODY}}},
                 "responses": {"200": _json("the audit row; asterisk: applied, or pending (written on reconnect)",
                                            {"type": "object", "properties": {
                                                **_SURGE_STATE["properties"], "id": {"type": "integer"},
                                                "asterisk": {"enum": ["applied", "pending"]}}}),
                               "400": _error("body is not a JSON object, or the message is too long"),
                               "401": _error("no valid token"), "403": _error("not a supervisor or an admin"),
                               "422": _error("enabled is not a boolean, message not a string, or an unknown branch")}}},
}
