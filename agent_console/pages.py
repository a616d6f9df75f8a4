"""The browser console's pages. For now one placeholder, Vietnamese first."""
from __future__ import annotations

from html import escape

from aiohttp import web

routes = web.RouteTableDef()

_PAGE = """<!doctype html>
<html lang="vi">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body>
<h1>{title}</h1>
<p>{coming_vi}</p>
<p lang="en">{coming_en}</p>
<p><a href="/api/v1/openapi.json">API (OpenAPI)</a> · <a href="/healthz">/healthz</a></p>
</body>
</html>
"""

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@routes.get("/", name="index")
async def index(request: web.Request) -> web.Response:
    body = _PAGE.format(
        title=escape("Bảng điều khiển 1022"),
        coming_vi=escape("Giao diện cho điều hành viên và giám sát viên đang được hoàn thiện."),
        coming_en=escape("1022 console: the agent and supervisor views are coming."),
    )
    return web.Response(text=body, content_type="text/html", charset="utf-8", headers=SECURITY_HEADERS)
