"""The console's pages: the citizens' portal (no sign-in), sign-in, sign-out, the agent's view, his
written-requests queue, the supervisor's view and reports,
the admins' access log and agency directory.

Pages are Jinja2 templates (templates/, each extending base.html) rendered through aiohttp-jinja2,
loaded once per app and autoescaped; the JS in static/ does the rest. Agents reaching a supervisor
page (wallboard, reports) get 403; anyone but an admin reaching the access log gets 403.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from agent_console import i18n
from agent_console.api.audit_log import may_read_audit
from agent_console.keys import CONFIG, Principal, pool_of
from agent_console.web.session import (
    clear_session_cookie,
    csrf_ok,
    csrf_token,
    page_session,
    set_session_cookie,
)
from db.agents import check_credentials, get_agent, get_login
from db.sessions import create_session, delete_session

routes = web.RouteTableDef()
STATIC_DIR = Path(__file__).parent.parent / "static"
_TEMPLATES = Path(__file__).with_name("templates")

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def setup(app: web.Application) -> None:
    """The pages' Jinja2 environment: every value autoescaped, a template compiled on first use and
    kept (no re-reading or mtime check per request), an unknown name an error rather than blank."""
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(_TEMPLATES),
                         autoescape=jinja2.select_autoescape(("html",)), auto_reload=False,
                         undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                         default_helpers=False)


def _render(request: web.Request, template_name: str, status: int = 200, **values: str) -> web.Response:
    """The page in the request's language: `t(key)` gives the catalog's word, as i18n.js does."""
    lang, config = _lang(request), request.app[CONFIG]
    context = {"lang": lang, "t": partial(i18n.text, lang), "timezone": config.timezone,
               "wrapup_limit_s": config.wrapup_limit_s, **values}
    response = aiohttp_jinja2.render_template(template_name, request, context, status=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def _lang(request: web.Request) -> str:
    return i18n.language(request.cookies.get(i18n.LANG_COOKIE))


@routes.get("/", name="index")
async def index(request: web.Request) -> web.Response:
    who = await page_session(request)
    raise web.HTTPFound("/login" if who is None else "/agent")


@routes.get("/login", name="login_page")
async def login_page(request: web.Request) -> web.Response:
    return _render(request, "login.html", error="")


@routes.post("/login", name="login_form")
async def login_form(request: web.Request) -> web.Response:
    form = await request.post()
    ext, password = str(form.get("ext", ""))[:64], str(form.get("password", ""))
    config = request.app[CONFIG]
    pool = pool_of(request)
    account = await get_login(pool, ext) if ext.isascii() and ext.isdigit() and password else None
    stored = account["password_hash"] if account else None
    valid = await asyncio.to_thread(check_credentials, stored, password[: config.max_password_chars])
    if not valid or account is None or not account["active"]:
        return _render(request, "login.html", status=401, error=i18n.text(_lang(request), "login.bad"))
    token, _ = await create_session(pool, account["ext"], config.session_ttl_s)
    response = web.HTTPSeeOther("/agent" if account["role"] == "agent" else "/supervisor")
    set_session_cookie(response, token, config.session_ttl_s)
    raise response


@routes.post("/logout", name="logout_form")
async def logout_form(request: web.Request) -> web.Response:
    who = await page_session(request)
    form = await request.post()
    if who is not None:
        if not csrf_ok(who.token, str(form.get("csrf", "")) or request.headers.get("X-CSRF-Token")):
            raise web.HTTPForbidden(text="missing or wrong CSRF token")
        await delete_session(pool_of(request), who.token)
    response = web.HTTPSeeOther("/login")
    clear_session_cookie(response)
    raise response


async def _signed_in(request: web.Request) -> Principal:
    who = await page_session(request)
    if who is None:
        raise web.HTTPFound("/login")
    return who


async def _page(request: web.Request, template: str, **values: str) -> web.Response:
    who = await _signed_in(request)
    agent = await get_agent(pool_of(request), who.ext)
    return _render(request, template, ext=who.ext, role=who.role, csrf=csrf_token(who.token),
                   name=agent["name"] if agent else who.ext, **values)


@routes.get("/portal", name="portal_page")
async def portal_page(request: web.Request) -> web.Response:
    """The citizens' portal: no sign-in (its API is agent_console/api/portal.py)."""
    return _render(request, "portal.html")


@routes.get("/agent", name="agent_page")
async def agent_page(request: web.Request) -> web.Response:
    return await _page(request, "agent.html")


@routes.get("/written", name="written_page")
async def written_page(request: web.Request) -> web.Response:
    return await _page(request, "written.html")


@routes.get("/followups", name="followups_page")
async def followups_page(request: web.Request) -> web.Response:
    """The abandoned-call worklist; supervisors and admins also get the surge switch on it."""
    return await _page(request, "followups.html")


@routes.get("/tickets", name="tickets_page")
async def tickets_page(request: web.Request) -> web.Response:
    return await _page(request, "tickets.html")


_SUPERVISORS_ONLY = "Chỉ dành cho giám sát viên. / Supervisors only."


async def _page_for(request: web.Request, template: str, allowed: Callable[[Principal], bool], refusal: str,
                    **values: str) -> web.Response:
    """The page when the signed-in person may see it, else 403 with `refusal`."""
    if not allowed(await _signed_in(request)):
        raise web.HTTPForbidden(text=refusal)
    return await _page(request, template, **values)


@routes.get("/supervisor", name="supervisor_page")
async def supervisor_page(request: web.Request) -> web.Response:
    # ?wall=1: the large-screen wallboard (no controls, larger type) for a screen across the room.
    wall = "1" if request.query.get("wall") == "1" else ""
    return await _page_for(request, "supervisor.html", lambda who: who.sees_all_calls, _SUPERVISORS_ONLY, wall=wall)


@routes.get("/reports", name="reports_page")
async def reports_page(request: web.Request) -> web.Response:
    return await _page_for(request, "reports.html", lambda who: who.sees_all_calls, _SUPERVISORS_ONLY)


@routes.get("/callbacks", name="callbacks_page")
async def callbacks_page(request: web.Request) -> web.Response:
    return await _page_for(request, "callbacks.html", lambda who: who.sees_all_calls, _SUPERVISORS_ONLY)


@routes.get("/audit", name="audit_page")
async def audit_page(request: web.Request) -> web.Response:
    return await _page_for(request, "audit.html", may_read_audit, "Chỉ dành cho quản trị viên. / Admins only.")


@routes.get("/agencies", name="agencies_page")
async def agencies_page(request: web.Request) -> web.Response:
    """The agency directory (admins only: agent_console/api/agencies.py)."""
    return await _page_for(request, "agencies.html", lambda who: who.role == "admin",
                           "Chỉ dành cho quản trị viên. / Admins only.")


routes.static("/static", STATIC_DIR, name="static")
