"""Signing in and out of the console."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.http.console.web import (
    SESSION_COOKIE,
    CheckedForm,
    admin,
    current_session,
    field,
    redirect,
    render,
    set_session_cookie,
)
from api.http.errors import status_for
from domain.errors import TooManyAttempts, Unauthorized

router = APIRouter(prefix="/admin", include_in_schema=False)


def _local(path: str) -> str:
    """Where to go after signing in: a console page only (never another site)."""
    return path if path.startswith("/admin") and not path.startswith("//") else "/admin"


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/admin") -> Response:  # noqa: A002
    return render(request, "sign_in.html", next=_local(next), username="")


@router.post("/sign-in")
def sign_in(request: Request, form: CheckedForm) -> Response:
    username, target = field(form, "username"), _local(field(form, "next"))
    password = form.get("password")
    client = request.client.host if request.client else "unknown"
    try:
        cookie = admin(request).sign_in(username, password if isinstance(password, str) else "",
                                        client=client)
    except (TooManyAttempts, Unauthorized) as exc:  # 429, 401: the one error table's
        return render(request, "sign_in.html", status=status_for(exc), error=str(exc),
                      next=target, username=username)
    response = redirect(request, target)
    set_session_cookie(request, response, cookie)  # a new nonce: no session fixation
    return response


@router.post("/sign-out")
def sign_out(request: Request, form: CheckedForm) -> Response:
    admin(request).sign_out(current_session(request))
    response = redirect(request, "/admin/sign-in", "Signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response
