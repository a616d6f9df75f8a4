"""The citizen portal's API (no sign-in): send a written request, get a tracking code, look it up
later with the code and the phone number (db/written_requests.py).

Abuse control without third parties: the body's size (the app's client_max_size) and each field's
length; per-address and per-phone limits over a window (ConsoleConfig.portal_*, counted in the
database, so every console process sees the same counts); a honeypot field a person never fills
(a bot that fills it gets a code that leads nowhere, and nothing is stored); the same request again
within minutes gets the same code. Errors name the field and are written in both languages.
"""
from __future__ import annotations

import phonenumbers
from aiohttp import web

from agent_console.api.forms import json_object, text_field
from agent_console.errors import ApiError
from agent_console.keys import CONFIG, pool_of
from db.written_requests import (
    CODE_ALPHABET,
    CODE_LENGTH,
    WRITTEN_BRANCHES,
    PortalLimits,
    TooManySubmissions,
    WrittenRequest,
    lookup,
    new_tracking_code,
    normal_code,
    submit,
)

routes = web.RouteTableDef()

MAX_TEXT_CHARS = 2000
MAX_NAME_CHARS = 80
MAX_AREA_CHARS = 120
HONEYPOT = "website"
NOT_FOUND = ("Không tìm thấy yêu cầu với mã và số điện thoại này. / "
             "No request with this code and phone number.")
TOO_MANY = ("Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau. / "
            "Too many requests were sent. Please try again later.")
BAD_PHONE = ("Số điện thoại không hợp lệ: hãy nhập số di động hoặc cố định Việt Nam, ví dụ 0912 345 678. / "
             "The phone number is not valid: enter a Vietnamese mobile or landline number, e.g. 0912 345 678.")


class FieldError(ApiError):
    """A 400 that names the field, so the page can put its own words next to it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(400, message)
        self.field = field


def vietnamese_phone(text: str) -> str | None:
    """The number in national form, digits only (0912345678), or None when it is not a valid Vietnamese number."""
    if not text or len(text) > 32:
        return None
    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 84 or not phonenumbers.is_valid_number(number):
        return None
    return "0" + phonenumbers.national_significant_number(number)


def _field(body: dict, name: str, limit: int, *, required: bool = False, multiline: bool = False) -> str | None:
    try:
        return text_field(body, name, limit, required=required, multiline=multiline)
    except ApiError as exc:
        raise FieldError(name, exc.message) from None


def _request_of(body: dict) -> WrittenRequest:
    subject = body.get("subject")
    if not isinstance(subject, str) or subject not in WRITTEN_BRANCHES:
        raise FieldError("subject", f"subject must be one of {', '.join(WRITTEN_BRANCHES)} "
                                    "(an emergency: call 115)")
    phone = vietnamese_phone(_field(body, "phone", 32, required=True) or "")
    if phone is None:
        raise FieldError("phone", BAD_PHONE)
    text = _field(body, "text", MAX_TEXT_CHARS, required=True, multiline=True) or ""
    return WrittenRequest(phone=phone, branch=WRITTEN_BRANCHES[subject], category=subject, text=text,
                          name=_field(body, "name", MAX_NAME_CHARS) or "",
                          area=_field(body, "area", MAX_AREA_CHARS) or "")


@routes.post("/api/v1/public/requests", name="public_request_create")
async def create(request: web.Request) -> web.Response:
    body = await json_object(request, 'send {"subject", "phone", "text"}')
    try:
        written = _request_of(body)   # validated first: a malformed request is a 400 for bots too
        if body.get(HONEYPOT):
            return web.json_response({"tracking_code": new_tracking_code()}, status=201)
    except FieldError as exc:
        return web.json_response({"error": exc.message, "field": exc.field}, status=400)
    config = request.app[CONFIG]
    limits = PortalLimits(window_s=config.portal_window_s, per_address=config.portal_address_limit,
                          per_phone=config.portal_phone_limit, duplicate_s=config.portal_duplicate_s)
    try:
        code, created = await submit(pool_of(request), written, remote_addr=request.remote or "", limits=limits)
    except TooManySubmissions:
        raise ApiError(429, TOO_MANY, {"Retry-After": str(config.portal_window_s)}) from None
    return web.json_response({"tracking_code": code, "duplicate": not created}, status=201)


@routes.get("/api/v1/public/requests/{code}", name="public_request")
async def status(request: web.Request) -> web.Response:
    """A wrong code and a wrong phone get the same 404: a code cannot be confirmed without its phone."""
    code = normal_code(request.match_info["code"][:32])
    phone = vietnamese_phone(request.query.get("phone", ""))
    valid_code = len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)
    found = await lookup(pool_of(request), code, phone) if valid_code and phone else None
    if found is None:
        raise ApiError(404, NOT_FOUND)
    return web.json_response(found)
