"""Pieces shared by the OpenAPI path modules (openapi.py and openapi_*.py)."""
from __future__ import annotations

from typing import Any


# A ticket's id in a path: the routes match 1 to 18 digits (anything else is a 404).
ID_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}


def error(description: str) -> dict[str, Any]:
    """A response with the common {"error": "..."} body."""
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def audit_log_get(summary: str, operation_id: str, rows_key: str, row_schema: dict[str, Any]) -> dict[str, Any]:
    """GET of an append-only audit log, newest first, a page at a time (agent_console/api/audit_log.py)."""
    page = {"type": "object", "properties": {rows_key: {"type": "array", "items": row_schema},
                                             "next_before_id": {"type": ["integer", "null"]}}}
    return {"get": {
        "summary": summary, "operationId": operation_id,
        "parameters": [
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500,
                                                        "default": 100}},
            {"name": "before_id", "in": "query", "description": "next_before_id of the previous page",
             "schema": {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}}],
        "responses": {"200": {"description": f"a page of {rows_key}",
                              "content": {"application/json": {"schema": page}}},
                      "400": error("bad parameter"), "401": error("no valid token"), "403": error("not an admin")}}}
