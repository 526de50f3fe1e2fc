"""What every console page shares: the templates, the session cookie, the CSRF check, the
one-time notice after a redirect, and the refusal page.

The session is a signed cookie (api/application/admin.py): HttpOnly, SameSite=Lax, Secure when
the request came over https (directly, or as a TLS proxy's X-Forwarded-Proto says: uvicorn's
--proxy-headers sets the scheme from it for trusted proxies). Every POST carries the form's
CSRF token, an HMAC of the session's nonce, and is refused (403) without the right one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from api.application.admin import SESSION_SECONDS, AdminConsole, ConsoleSession
from api.application.services import Services

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
SESSION_COOKIE = "ec_console"
NOTICE_COOKIE = "ec_notice"
PREFIX = "/admin"
NAV = (
    ("Overview", "/admin"),
    ("Outgoing mail", "/admin/setup/outgoing"),
    ("Incoming mail", "/admin/setup/incoming"),
    ("Processing", "/admin/setup/processing"),
    ("Support team", "/admin/setup/team"),
    ("Automation rules", "/admin/rules"),
    ("Processing log", "/admin/log"),
    ("Outbox", "/admin/outbox"),
)


class ConsoleRefusal(Exception):
    """A console request refused: shown as a page (or, signed out, as the sign-in page)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SignInRequired(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def admin(request: Request) -> AdminConsole:
    console = services(request).admin
    if console is None:
        raise ConsoleRefusal(404, "the admin console is not served by this process")
    return console


def current_session(request: Request) -> ConsoleSession | None:
    return admin(request).session(request.cookies.get(SESSION_COOKIE))


async def signed_in(request: Request) -> ConsoleSession:
    """The signed-in session; anyone else is sent to the sign-in page."""
    session = current_session(request)
    if session is None or session.username is None:
        raise SignInRequired(request.url.path)
    request.state.console_session = session
    return session


SignedIn = Annotated[ConsoleSession, Depends(signed_in)]


async def checked_form(request: Request) -> FormData:
    """The POSTed form, once its CSRF token is the session's own (403 otherwise)."""
    form = await request.form()
    token = form.get("csrf_token")
    session = current_session(request)
    if not admin(request).csrf_valid(session, token if isinstance(token, str) else None):
        raise ConsoleRefusal(403, "the form's security token is missing or out of date: "
                             "reload the page and try again")
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_SECONDS, path=PREFIX,
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")


def render(request: Request, template: str, *, status: int = 200, error: str | None = None,
           **context: Any) -> HTMLResponse:
    session = getattr(request.state, "console_session", None) or current_session(request)
    new_cookie = None
    if session is None:  # a first visit: a visitor's session, for the sign-in form's token
        session, new_cookie = admin(request).visitor()
    notice = unquote(request.cookies.get(NOTICE_COOKIE, "")) or None
    if notice and notice.startswith("!"):  # a redirect's notice of a failure
        error = error or notice[1:]
        notice = None
    response = templates.TemplateResponse(request, template, status_code=status, context={
        "csrf_token": admin(request).csrf_token(session), "signed_in": session.username,
        "nav": NAV, "path": request.url.path, "notice": notice, "error": error, **context})
    if new_cookie is not None:
        set_session_cookie(request, response, new_cookie)
    if NOTICE_COOKIE in request.cookies:
        response.delete_cookie(NOTICE_COOKIE, path=PREFIX)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'")
    return response


def redirect(request: Request, to: str, notice: str | None = None) -> RedirectResponse:
    """After a POST: back to a page (303), with a notice it shows once."""
    response = RedirectResponse(to, status_code=303)
    if notice:
        response.set_cookie(NOTICE_COOKIE, quote(notice[:600]), path=PREFIX, httponly=True,
                            samesite="lax", secure=request.url.scheme == "https")
    return response
