"""Setup, in the original product's order: outgoing mail server, incoming mail, processing,
internal support team address (then automation rules, rules.py). Every form is generated from
the settings registry and saved through the same use case as PATCH /api/v1/connector."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.application import connector, console
from api.application.runtime_settings import Values
from api.http.console.forms import Section, changes, inputs
from api.http.console.web import (
    CheckedForm,
    ConsoleRefusal,
    SignedIn,
    field,
    redirect,
    render,
    services,
)
from domain.errors import InvalidInput
from domain.settings import SettingSpec

AUTH_HINTS = {
    "basic": "HTTP Basic: user {user}, password CONNECTOR_INBOUND_PASSWORD (or the one generated "
             "into the data folder, inbound-password). Put them in the URL: "
             "https://{user}:PASSWORD@your-host/...",
    "signature": "signed by the provider: set its signing secret below",
    "token_or_basic": "its webhook token (below) when set, else HTTP Basic as above",
}


def _pages(specs: Sequence[SettingSpec], providers: Sequence[Any]) -> dict[str, dict[str, Any]]:
    runtime = [s for s in specs if s.runtime]

    def group(name: str, *, prefix: str = "", exclude: tuple[str, ...] = ()) -> list[SettingSpec]:
        return [s for s in runtime if s.group == name and s.name.startswith(prefix)
                and s.name not in exclude]

    provider_sections = [Section(f"provider-{p.name}", p.name.capitalize(),
                                 [s for s in p.settings if s.runtime], intro=p.summary)
                         for p in providers]
    return {
        "outgoing": {"title": "Outgoing mail server", "sections": [
            Section("smtp", "Outgoing mail server", group("outgoing"),
                    intro="Acknowledgements, forwards to the support team and XML responses "
                          "leave through this server.",
                    checks=[("Test SMTP connection", "/admin/setup/outgoing/smtp-check")])]},
        "incoming": {"title": "Incoming mail", "sections": [
            Section("imap", "IMAP mailbox", group("incoming", prefix="imap_"),
                    intro="A mailbox the IMAP poller (make imap) takes mail from.",
                    checks=[("Test IMAP connection", "/admin/setup/incoming/imap-check")]),
            Section("pop3", "POP3 mailbox", group("incoming", prefix="pop3_"),
                    intro="A maildrop the POP3 poller (make pop3) takes mail from.",
                    checks=[("Test POP3 connection", "/admin/setup/incoming/pop3-check")]),
            Section("limits", "Size limits", [s for s in group("incoming")
                                              if not s.name.startswith(("imap_", "pop3_"))]),
            *[s for s in provider_sections if s.specs]]},
        "processing": {"title": "Processing", "sections": [
            Section("processing", "Processing", group("processing", exclude=("status",)),
                    intro="Acknowledgements, caps, the ticket subject pattern, the XML API.")]},
        "team": {"title": "Internal support team address", "sections": [
            Section("team", "Addresses", group("team"),
                    intro="Forwards (unrecognized senders, customer replies, errors) go to the "
                          "support team address; it must differ from the public address.")]},
    }


def setup_router(specs: Sequence[SettingSpec], providers: Sequence[Any]) -> APIRouter:
    router = APIRouter(prefix="/admin/setup", include_in_schema=False)
    pages = _pages(specs, providers)

    def page_of(name: str) -> dict[str, Any]:
        if name not in pages:
            raise ConsoleRefusal(404, f"no setup page {name!r}")
        return pages[name]

    def show(request: Request, name: str, values: Any, *, try_subject: str = "",
             pattern: str = "", previewing: bool = False) -> Response:
        page, app = page_of(name), services(request)
        context: dict[str, Any] = {"name": name, "title": page["title"], "forms": [
            (s, inputs(s, values)) for s in page["sections"]]}
        if name == "incoming":
            user = app.credentials.inbound_username
            base = str(request.base_url).rstrip("/")
            sources, refusals = console.mail_sources(app)
            context["providers"] = [
                {"name": p.name, "summary": p.summary, "urls": [base + path for path in p.paths],
                 "auth": AUTH_HINTS.get(p.auth, p.auth).format(user=user),
                 "last": sources.get(p.name), "refused": refusals.get(p.name)}
                for p in providers]
            context["raw_url"] = base + "/inbound/raw"
            context["inbound_user"] = user
        if name == "processing":
            context["preview"], context["previewing"] = _preview(values), previewing
            context["try_subject"], context["pattern"] = try_subject, pattern
            if try_subject:
                try:
                    context["found"] = console.try_subject(values, subject=try_subject,
                                                           pattern=pattern or None)
                except InvalidInput as exc:
                    context["try_error"] = str(exc)
        if name == "outgoing":
            context["test_to"] = values.support_team_address
        return render(request, "setup.html", **context)

    @router.get("/{name}")
    def setup_page(request: Request, name: str, session: SignedIn, try_subject: str = "",
                   pattern: str = "") -> Response:
        values = services(request).settings.current(max_age=0)
        return show(request, name, values, try_subject=try_subject.strip(),
                    pattern=pattern.strip())

    @router.post("/processing/preview")
    def preview(request: Request, session: SignedIn, form: CheckedForm) -> Response:
        """The page with the form's values, unsaved: the preview shows the edited templates."""
        current = services(request).settings.current(max_age=0)
        [section] = page_of("processing")["sections"]
        edited = {k: v for k, v in changes(section.specs, form).items()
                  if not section_spec(section, k).secret}
        return show(request, "processing", Values({**current.as_dict(), **edited}),
                    previewing=True)

    @router.post("/{name}")
    def save(request: Request, name: str, session: SignedIn, form: CheckedForm) -> Response:
        sections = {s.key: s for s in page_of(name)["sections"]}
        section = sections.get(field(form, "section"))
        if section is None:
            raise ConsoleRefusal(400, "unknown form section")
        try:
            connector.change_settings(services(request), changes=changes(section.specs, form))
        except InvalidInput as exc:
            return redirect(request, f"/admin/setup/{name}#{section.key}", f"!Not saved: {exc}")
        return redirect(request, f"/admin/setup/{name}#{section.key}",
                        f"{section.title}: saved, in use from now on.")

    @router.post("/outgoing/smtp-check")
    def smtp_check(request: Request, session: SignedIn, form: CheckedForm) -> Response:
        ok, detail = connector.smtp_check(services(request))
        return _checked(request, "outgoing", "SMTP connection", ok, detail)

    @router.post("/outgoing/test-email")
    def test_email(request: Request, session: SignedIn, form: CheckedForm) -> Response:
        to = field(form, "to")
        if "@" not in to:
            return redirect(request, "/admin/setup/outgoing", "!Test email: give an address")
        ok, detail = connector.send_test_email(services(request), to=to, sender=None)
        return _checked(request, "outgoing", "Test email", ok, detail)

    @router.post("/incoming/imap-check")
    def imap_check(request: Request, session: SignedIn, form: CheckedForm) -> Response:
        ok, detail = connector.imap_check(services(request))
        return _checked(request, "incoming", "IMAP connection", ok, detail)

    @router.post("/incoming/pop3-check")
    def pop3_check(request: Request, session: SignedIn, form: CheckedForm) -> Response:
        ok, detail = connector.pop3_check(services(request))
        return _checked(request, "incoming", "POP3 connection", ok, detail)

    return router


def section_spec(section: Section, name: str) -> SettingSpec:
    return next(s for s in section.specs if s.name == name)


def _checked(request: Request, page: str, what: str, ok: bool, detail: str) -> Response:
    verdict = f"{what}: OK: {detail}" if ok else f"!{what} failed: {detail}"
    return redirect(request, f"/admin/setup/{page}", verdict)


def _preview(values: Any) -> dict[str, str]:
    try:
        subject, body = console.preview_acknowledgement(
            values, subject_template=values.acknowledgement_subject,
            body_template=values.acknowledgement_body)
    except InvalidInput as exc:
        return {"error": str(exc)}
    return {"from": f"{values.from_name} <{values.effective_from_address}>", "subject": subject,
            "body": body}
