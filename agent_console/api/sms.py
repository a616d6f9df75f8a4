"""The SMS gateway's callbacks (issue 14; docs/sms.md): no sign-in, the gateway's secret instead.

- `GET|POST /api/v1/sms/inbound`: a citizen's SMS (MO). Kannel's sms-service get-url sends
  gateway=kannel&from=%p&to=%P&text=%a&id=%I (runtime/kannel.py); the text/plain answer is the
  SMS Kannel sends back (the tracking code). Jasmin's MO callback (id, from, to, content, coding)
  is answered exactly `ACK/Jasmin`, or Jasmin retries. A message id seen before gets the same
  answer and creates nothing; while PostgreSQL is away the answer is 503 and the gateway retries.
- `GET /api/v1/sms/delivery`: Kannel's dlr-url for the SMS agents send (send, type=%d, detail=%A).

The text is decoded here from the raw query or body (aiohttp would hide broken UTF-8): UTF-8, or
UCS-2 (UTF-16BE) when the gateway says so; anything else is a 400 naming the problem.
"""
from __future__ import annotations

import hmac
from urllib.parse import unquote_to_bytes

from aiohttp import web

from agent_console.api.portal import vietnamese_phone
from agent_console.errors import ApiError
from agent_console.input_guard import bad_character
from agent_console.keys import CONFIG, pool_of
from db.sms import InboundSms, mark_delivery, receive
from db.sms_text import KANNEL_DLR, MAX_SMS_TEXT, concat_of

routes = web.RouteTableDef()

JASMIN_ACK = "ACK/Jasmin"
MAX_FIELD_BYTES = 12000        # a field longer than this is no SMS
UCS2_CHARSETS = frozenset({"UTF-16BE", "UCS-2", "UCS2", "UTF-16"})
MESSAGE_ALLOWED = frozenset("\t\r\n")     # an SMS may have lines; no other control character


def raw_fields(query_string: str, body: bytes = b"") -> dict[str, bytes]:
    """Every field of the query and a form body as bytes, undecoded (the body wins)."""
    fields: dict[str, bytes] = {}
    for source in (query_string.encode("ascii", "replace"), body):
        for part in source.split(b"&"):
            name, _, value = part.partition(b"=")
            if name:
                key = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace")
                fields[key] = unquote_to_bytes(value.replace(b"+", b" "))
    return fields


def field_text(fields: dict[str, bytes], name: str, *, required: bool = True, ucs2: bool = False) -> str:
    raw = fields.get(name)
    if raw is None or not raw.strip():
        if required:
            raise ApiError(400, f"{name} is required")
        return ""
    if len(raw) > MAX_FIELD_BYTES:
        raise ApiError(400, f"{name} is too long")
    try:
        text = raw.decode("utf-16-be" if ucs2 else "utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, f"{name} is not valid {'UCS-2' if ucs2 else 'UTF-8'} text") from None
    problem = bad_character(text, MESSAGE_ALLOWED)
    if problem:
        raise ApiError(400, f"{name} must not contain a {problem}")
    return text


def citizen_number(text: str) -> str:
    """National form for a Vietnamese number (the portal's and the calls' form), else the digits."""
    national = vietnamese_phone(text)
    if national is not None:
        return national
    digits = "".join(ch for ch in text if ch.isdigit() or ch == "+")
    if not 3 <= len(digits) <= 20:
        raise ApiError(400, "from must be a phone number")
    return digits


def inbound_of(fields: dict[str, bytes]) -> InboundSms:
    """Kannel's fields or Jasmin's (content instead of text), decoded and checked."""
    jasmin = "content" in fields
    charset = field_text(fields, "charset", required=False).upper()
    coding = field_text(fields, "coding", required=False)
    # Jasmin: SMPP data_coding, 8 is UCS-2; Kannel: coding 2 with a UCS-2 charset (mo-recode makes UTF-8 of it).
    ucs2 = coding == "8" if jasmin else coding == "2" and charset in UCS2_CHARSETS
    concat = concat_of(field_text(fields, "udh", required=False))
    text = field_text(fields, "content" if jasmin else "text", ucs2=ucs2)
    text = text if concat is not None else text.strip()     # a part's spaces belong to the whole
    if len(text) > MAX_SMS_TEXT:
        raise ApiError(400, f"text must be at most {MAX_SMS_TEXT} characters")
    message_id = field_text(fields, "id")
    if len(message_id) > 100:
        raise ApiError(400, "id must be at most 100 characters")
    return InboundSms(gateway="jasmin" if jasmin else "kannel", message_id=message_id,
                      sender=citizen_number(field_text(fields, "from")),
                      receiver=field_text(fields, "to", required=False)[:32], text=text,
                      concat=concat)


def check_secret(request: web.Request, fields: dict[str, bytes]) -> None:
    expected = request.app[CONFIG].sms_secret
    if not expected:
        raise ApiError(404, "the SMS channel is off (set IVR_SMS=on)")
    given = request.headers.get("X-SMS-Secret") or fields.get("secret", b"").decode("utf-8", "replace")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(403, "wrong or missing SMS gateway secret")


@routes.get("/api/v1/sms/inbound", name="sms_inbound")
@routes.post("/api/v1/sms/inbound", name="sms_inbound_post")
async def inbound(request: web.Request) -> web.Response:
    body = await request.read() if request.method == "POST" else b""
    fields = raw_fields(request.rel_url.raw_query_string, body)
    check_secret(request, fields)
    sms = inbound_of(fields)
    answer = await receive(pool_of(request), sms)
    if sms.gateway == "jasmin":
        return web.Response(text=JASMIN_ACK, content_type="text/plain")
    return web.Response(text=answer.reply, content_type="text/plain", charset="utf-8")


@routes.get("/api/v1/sms/delivery", name="sms_delivery")
async def delivery(request: web.Request) -> web.Response:
    fields = raw_fields(request.rel_url.raw_query_string)
    check_secret(request, fields)
    try:
        send_id, dlr_type = int(field_text(fields, "send")), int(field_text(fields, "type"))
    except ValueError:
        raise ApiError(400, "send and type must be whole numbers") from None
    status = KANNEL_DLR.get(dlr_type)
    if status is None:
        raise ApiError(400, f"type must be one of {', '.join(map(str, KANNEL_DLR))}")
    detail = field_text(fields, "detail", required=False).encode("utf-8", "replace").decode()
    if not await mark_delivery(pool_of(request), send_id, status, detail):
        raise ApiError(404, "no such SMS")
    return web.Response(text="OK", content_type="text/plain")
