"""OpenAPI paths of the SMS gateway's callbacks (issue 14, docs/sms.md; merged into openapi.DOCUMENT).

No sign-in: the gateway sends the SMS secret (IVR_SMS_SECRET) as `secret` or the X-SMS-Secret header."""
from __future__ import annotations

from typing import Any

from agent_console.openapi_parts import error as _error


def _query(name: str, description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": {"type": "string"},
            "description": description}


_SECRET = _query("secret", "IVR_SMS_SECRET (or the X-SMS-Secret header)", True)
_KANNEL = [_SECRET, _query("gateway", "kannel"), _query("from", "the citizen's number (%p)", True),
           _query("to", "the hotline's number (%P)"), _query("text", "the message, UTF-8 (%a)", True),
           _query("id", "the gateway's message id (%I): a retry with the same id creates nothing", True),
           _query("coding", "2 with charset UTF-16BE: text is UCS-2 (%c)"), _query("charset", "%C"),
           _query("udh", "hex UDH (%u): a part of a concatenated message, kept until all parts are here")]
_REPLY = {"200": {"description": "Kannel: the SMS back to the citizen (text/plain, the tracking code; empty while "
                                 "parts of a message are missing). Jasmin: exactly ACK/Jasmin.",
                  "content": {"text/plain": {"schema": {"type": "string"}}}},
          "400": _error("a missing field, broken UTF-8/UCS-2, a text over 2000 characters"),
          "403": _error("wrong or missing secret"),
          "404": _error("the SMS channel is off (IVR_SMS): the callbacks do not exist"),
          "503": _error("the database is away (the gateway retries)")}

PATHS: dict[str, Any] = {
    "/api/v1/sms/inbound": {
        "get": {"summary": "A citizen's SMS from Kannel's sms-service get-url: a new ticket with channel sms, or a "
                           "follow-up on the sender's open sms request", "operationId": "smsInbound",
                "security": [], "parameters": _KANNEL, "responses": _REPLY},
        "post": {"summary": "The same as a form body: Kannel's post-url, or Jasmin's MO callback "
                            "(id, from, to, content, coding), answered ACK/Jasmin", "operationId": "smsInboundPost",
                 "security": [], "parameters": [_SECRET],
                 "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
                     "type": "object", "required": ["id", "from"], "properties": {
                         name: {"type": "string"} for name in ("id", "from", "to", "content", "text", "coding",
                                                               "udh")}}}}},
                 "responses": _REPLY}},
    "/api/v1/sms/delivery": {"get": {
        "summary": "Kannel's delivery report (dlr-url) for an SMS an agent sent: its status becomes sent, buffered, "
                   "delivered, failed or rejected (a final status stays)", "operationId": "smsDelivery",
        "security": [], "parameters": [_SECRET, _query("send", "our send id", True),
                                       _query("type", "Kannel's DLR type %d: 1, 2, 4, 8 or 16", True),
                                       _query("detail", "the SMSC's answer (%A)")],
        "responses": {"200": {"description": "OK"}, "400": _error("send or type malformed"),
                      "403": _error("wrong or missing secret"), "404": _error("no such SMS, or the SMS channel is off")}}},
}
