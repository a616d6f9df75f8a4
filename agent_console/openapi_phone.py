"""OpenAPI paths of the browser phone (agent_console/api/phone.py), merged into openapi.DOCUMENT."""
from __future__ import annotations

from typing import Any

from agent_console.openapi_parts import error as _error

LOGIN_BODY = {"required": False, "content": {"application/json": {"schema": {"type": "object", "properties": {
    "phone": {"enum": ["auto", "desk", "browser", "both"], "default": "auto",
              "description": "which of the extension's phones the queues ring: desk (endpoint <ext>), browser "
                             "(the console's WebRTC phone, endpoint <ext>-web), both at once (the first to answer "
                             "takes the call), auto: both when both are registered, else the one that is"}}}}}}

_CREDENTIAL = {"type": "object", "required": ["ext", "uri", "authorization_user", "password", "ws_path"],
               "properties": {
                   "ext": {"type": "string"},
                   "uri": {"type": "string", "description": "the browser phone's SIP address: sip:<ext>-web@<host>"},
                   "authorization_user": {"type": "string", "description": "digest user name (the extension)"},
                   "password": {"type": "string", "description": "the extension's SIP secret: only ever to its "
                                                                 "own signed-in session; not cached"},
                   "display_name": {"type": "string"},
                   "ws_path": {"type": "string", "description": "where the SIP WebSocket is, on this origin"}}}

PATHS: dict[str, Any] = {
    "/api/v1/phone/credential": {"get": {
        "summary": "The signed-in person's own SIP account for the console's browser phone (no extension in the "
                   "path: nobody else's)", "operationId": "phoneCredential",
        "responses": {"200": {"description": "the account", "content": {"application/json": {"schema": _CREDENTIAL}}},
                      "401": _error("no valid session"), "404": _error("no active SIP account"),
                      "503": _error("the browser phone is not configured, or the database is away")}}},
    "/api/v1/phone/ws": {"get": {
        "summary": "SIP over WebSocket (subprotocol `sip`, RFC 7118), relayed frame by frame to Asterisk's own "
                   "WebSocket on loopback. The session cookie and a same-origin Origin are required; SIP digest "
                   "auth then decides who registers", "operationId": "phoneWebSocket",
        "responses": {"101": {"description": "switching protocols: SIP frames both ways until either side closes"},
                      "401": _error("no valid session"), "403": _error("Origin is not this console"),
                      "503": _error("the browser phone is not configured")}}},
}
