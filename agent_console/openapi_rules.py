"""Rules every operation obeys, written into the served OpenAPI document in one place.

The middlewares apply to every route, so the document says so for every route, including the ones
other modules add later (the document is finished when it is served, not when a module is written):

- input_guard: a control character (or a lone surrogate) in the path, a query value or a body
  string is a 400. Every string a client sends is therefore documented with a pattern without them:
  path and query values, body values and body keys. A body field of multi-line text (a note) says so
  with `TEXT_LINES` in its own schema, which the rule leaves alone. A body member the schema does not
  name is ignored by the server, but is checked by the guard all the same: it is documented as
  `PlainJson`, any JSON value whose strings and keys hold no control character.
- auth_middleware: an operation that is not public (`security: []`) may answer 401.
- every operation may answer 400 (the guard above, a malformed value).

tests/integration/test_api_schema.py runs schemathesis against the served document and the live API.
"""
from __future__ import annotations

import copy
from typing import Any

# No C0, DEL or C1 control (agent_console/input_guard.py and api/forms.py text_field). Lone surrogates are
# refused too, but are left out of the patterns: UTF-8 cannot carry one, and a surrogate range makes
# schemathesis's regex engine drop the whole pattern.
CONTROLS = "\\u0000-\\u001f\\u007f-\\u009f"
NO_CONTROL = f"^[^{CONTROLS}]*$"
# A required text field is trimmed: it needs one character that is neither a control nor a space.
SOME_TEXT = f"^[^{CONTROLS}]*[^\\s{CONTROLS}][^{CONTROLS}]*$"
# Multi-line text (notes, replies, a citizen's request): newlines and tabs too, at least one visible character.
_LINE = f"(?:[\\n\\t]|[^{CONTROLS}])"
TEXT_LINES = f"^{_LINE}*[^\\s{CONTROLS}]{_LINE}*$"
TEXT_LINES_OPTIONAL = f"^{_LINE}*$"
_METHODS = ("get", "post", "put", "patch", "delete")
_PLAIN_REF = {"$ref": "#/components/schemas/PlainJson"}
_PLAIN_JSON = {"description": "any JSON value whose strings and keys hold no control character", "anyOf": [
    {"type": ["null", "boolean", "number"]}, {"type": "string", "pattern": NO_CONTROL},
    {"type": "array", "items": _PLAIN_REF},
    {"type": "object", "propertyNames": {"pattern": NO_CONTROL}, "additionalProperties": _PLAIN_REF}]}


def finished(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of `document` with the rules above applied to every operation."""
    result = copy.deepcopy(document)
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("PlainJson", _PLAIN_JSON)
    for path_item in result["paths"].values():
        for method in _METHODS:
            if method in path_item:
                _operation(path_item[method], schemas, public=path_item[method].get("security") == [])
    return result


def _operation(operation: dict[str, Any], schemas: dict[str, Any], *, public: bool) -> None:
    for parameter in operation.get("parameters", []):
        if "schema" in parameter:
            _strings(parameter["schema"], schemas, body=False)
    for media in operation.get("requestBody", {}).get("content", {}).values():
        if "schema" in media:
            media["schema"] = _inlined(media["schema"], schemas)
            _strings(media["schema"], schemas, body=True)
    responses = operation.setdefault("responses", {})
    responses.setdefault("400", _error("a malformed value or a control character in the path, query or body"))
    if not public:
        responses.setdefault("401", _error("no valid token"))


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _inlined(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """A request body's own copy of a referenced schema: the rules must not change a response's schema."""
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        return copy.deepcopy(schemas[ref.rsplit("/", 1)[1]])
    return schema


def _is_string(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def _strings(schema: Any, schemas: dict[str, Any], *, body: bool) -> None:
    if not isinstance(schema, dict):
        return
    if _is_string(schema) and not ({"enum", "const", "format", "pattern"} & schema.keys()):
        schema["pattern"] = NO_CONTROL
    if body and schema.get("type") == "object" and schema.get("additionalProperties") is not False:
        schema.setdefault("propertyNames", {"pattern": NO_CONTROL})
        schema.setdefault("additionalProperties", dict(_PLAIN_REF))
    for key in ("properties", "$defs"):
        for child in schema.get(key, {}).values():
            _strings(child, schemas, body=body)
    for key in ("items", "additionalProperties", "not", "if", "then", "else"):
        _strings(schema.get(key), schemas, body=body)
    for key in ("allOf", "anyOf", "oneOf"):
        for child in schema.get(key, []):
            _strings(child, schemas, body=body)
