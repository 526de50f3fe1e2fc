"""The admin console at /admin: server-rendered pages (Jinja2) over the same use cases as the
REST API. Every page needs a signed-in session (web.py); `/` leads here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.http.console import auth, log, overview, rules, setup
from api.http.console.web import HERE, ConsoleRefusal, SignInRequired, render
from api.http.errors import request_invalid
from domain.settings import SettingSpec


def install(app: FastAPI, *, specs: Sequence[SettingSpec], providers: Sequence[Any]) -> None:
    app.mount("/admin/static", StaticFiles(directory=HERE / "static"), name="console-static")
    app.include_router(auth.router)
    app.include_router(overview.router)
    app.include_router(setup.setup_router(specs, providers))
    app.include_router(rules.router)
    app.include_router(log.router)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/admin", status_code=307)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(f"/admin/sign-in?next={quote(exc.path)}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        """A console URL with a wrong part (/admin/log/abc) is a page too; the API's stay JSON."""
        if not request.url.path.startswith("/admin/"):
            return request_invalid(exc)
        return render(request, "error.html", status=404, error="No such page (a part of the "
                      "address is not valid).")

    @app.exception_handler(ConsoleRefusal)
    async def _refused(request: Request, exc: ConsoleRefusal) -> Response:
        if exc.status == 404 and request.app.state.services.admin is None:
            return Response(exc.message, status_code=404)
        return render(request, "error.html", status=exc.status, error=exc.message)
