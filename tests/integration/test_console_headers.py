"""Every console page is served with its Content-Security-Policy (docs/console.md: `script-src 'self'`,
no inline script — the second wall behind autoescaping), and no page needs what the policy forbids:
each script is a file of the console's own, no inline handler. Real pages from the real app."""
from __future__ import annotations

import re

import pytest

from agent_console.web.session import COOKIE
from tests.integration.test_console_api import client, demo_calls, health  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

PAGES = {None: ["/login"], "1007": ["/agent", "/tickets"], "2002": ["/supervisor", "/reports", "/tickets"],
         "9001": ["/audit"]}


def policy(header: str) -> dict[str, list[str]]:
    directives = (d.split() for d in header.split(";") if d.strip())
    return {d[0]: d[1:] for d in directives}


async def cookie_for(client, ext: str) -> dict[str, str]:  # noqa: F811
    resp = await client.post("/login", data={"ext": ext, "password": f"demo{ext}"}, allow_redirects=False)
    assert resp.status == 303, resp.status
    return {"Cookie": f"{COOKIE}={resp.cookies[COOKIE].value}"}


@pytest.mark.parametrize("ext", list(PAGES))
async def test_every_page_has_the_content_security_policy_and_obeys_it(client, ext):  # noqa: F811
    headers = await cookie_for(client, ext) if ext else {}
    for path in PAGES[ext]:
        resp = await client.get(path, headers=headers, allow_redirects=False)
        assert resp.status == 200 and resp.content_type == "text/html", (path, resp.status)
        csp = policy(resp.headers.get("Content-Security-Policy", ""))
        assert csp.get("script-src") == ["'self'"], (path, csp)
        assert csp.get("default-src") == ["'self'"] and csp.get("frame-ancestors") == ["'none'"], (path, csp)
        assert csp.get("base-uri") == ["'none'"] and csp.get("form-action") == ["'self'"], (path, csp)
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        html = await resp.text()
        scripts = re.findall(r"<script\b[^>]*>", html, re.IGNORECASE)
        assert scripts and all(re.search(r'\bsrc="/static/(vendor/)?[\w.-]+\.js"', s) for s in scripts), (path, scripts)
        assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), f"{path}: inline event handler"
        assert "javascript:" not in html.lower(), path
