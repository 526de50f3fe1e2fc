"""The admin console through HTTP: nothing without signing in, the session cookie, CSRF on every
form, the limit on failed sign-ins, settings saved through the registry, secrets write-only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.entrypoints.web import create_app
from tests.api.conftest import ADMIN, Api, make_settings
from tests.conftest import SmtpSink
from tests.mail import email as make_email

PAGES = ["/admin", "/admin/setup/outgoing", "/admin/setup/incoming", "/admin/setup/processing",
         "/admin/setup/team", "/admin/rules", "/admin/log", "/admin/outbox", "/admin/log/1"]


def csrf(page_html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, password: str = ADMIN[1], username: str = ADMIN[0]) -> object:
    token = csrf(client.get("/admin/sign-in").text)
    return client.post("/admin/sign-in", data={"csrf_token": token, "username": username,
                                               "password": password, "next": "/admin"},
                       follow_redirects=False)


@pytest.fixture
def client(tmp_path: Path, smtp: SmtpSink, database_url: str) -> Iterator[TestClient]:
    app = create_app(make_settings(tmp_path, smtp, database_url=database_url))
    with TestClient(app) as test_client:
        yield test_client


def test_every_page_sends_a_visitor_to_the_sign_in_page(client: TestClient) -> None:
    for path in PAGES:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/admin/sign-in?next=/admin"), path
    post = client.post("/admin/connector", data={"status": "off"}, follow_redirects=False)
    assert post.status_code == 303 and post.headers["location"].startswith("/admin/sign-in")
    assert client.get("/admin/log/1/raw", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/connector", headers=Api(client).headers).json()["status"] == "on"


def test_signing_in_sets_an_httponly_samesite_cookie_and_opens_every_page(
        client: TestClient) -> None:
    response = sign_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/admin" in cookie
    assert "secure" not in cookie  # plain http here; see the https test
    for path in PAGES[:-1]:
        page = client.get(path)
        assert page.status_code == 200, path
        assert "Sign out (admin)" in page.text
        assert page.headers["cache-control"] == "no-store"


def test_the_cookie_is_secure_when_the_request_came_over_https(
        tmp_path: Path, smtp: SmtpSink, database_url: str) -> None:
    app = create_app(make_settings(tmp_path, smtp, database_url=database_url))
    with TestClient(app, base_url="https://console.test") as client:
        assert "secure" in sign_in(client).headers["set-cookie"].lower()


def test_a_wrong_password_or_user_name_is_refused_without_a_session(client: TestClient) -> None:
    for username, password in ((ADMIN[0], "wrong"), ("root", ADMIN[1])):
        response = sign_in(client, password, username)
        assert response.status_code == 401
        assert "wrong user name or password" in response.text
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_failed_sign_ins_are_limited_even_with_the_right_password_afterwards(
        client: TestClient) -> None:
    for _ in range(5):
        assert sign_in(client, "guess").status_code == 401
    response = sign_in(client)
    assert response.status_code == 429
    assert "too many failed sign-ins" in response.text
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_a_post_without_the_sessions_csrf_token_is_refused(client: TestClient) -> None:
    sign_in(client)
    without = client.post("/admin/connector", data={"status": "off"})
    assert without.status_code == 403 and "security token" in without.text
    forged = client.post("/admin/connector", data={"status": "off", "csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert client.get("/api/v1/connector", headers=Api(client).headers).json()["status"] == "on"
    # the sign-in form itself needs its token too
    assert client.post("/admin/sign-in", data={"username": ADMIN[0],
                                               "password": ADMIN[1]}).status_code == 403


def test_signing_out_ends_the_session_even_for_a_copy_of_its_cookie(client: TestClient) -> None:
    sign_in(client)
    copied = client.cookies.get("ec_console")
    token = csrf(client.get("/admin").text)
    response = client.post("/admin/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/admin", follow_redirects=False).status_code == 303
    client.cookies.set("ec_console", copied, path="/admin")
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_the_connector_switch_turns_processing_off_and_on(client: TestClient) -> None:
    sign_in(client)
    api = Api(client)
    token = csrf(client.get("/admin").text)
    page = client.post("/admin/connector", data={"status": "off", "csrf_token": token})
    assert "Processing is off" in page.text
    assert api.get("/api/v1/connector")["status"] == "off"
    client.post("/admin/connector", data={"status": "on", "csrf_token": token})
    assert api.get("/api/v1/connector")["status"] == "on"


def test_a_settings_form_saves_through_the_registry_and_never_shows_a_secret(
        client: TestClient) -> None:
    sign_in(client)
    api = Api(client)
    page = client.get("/admin/setup/outgoing")
    for name in ("smtp_host", "smtp_port", "smtp_security", "smtp_username", "smtp_password"):
        assert f'name="{name}"' in page.text, name
    form = {"csrf_token": csrf(page.text), "section": "smtp", "smtp_host": "mail.msp.test",
            "smtp_port": "2525", "smtp_security": "starttls", "smtp_username": "relay",
            "smtp_password": "s3cret-relay-pw", "smtp_timeout_seconds": "12"}
    saved = client.post("/admin/setup/outgoing", data=form)
    assert "saved" in saved.text and "Not saved" not in saved.text
    view = api.get("/api/v1/connector")
    assert (view["smtp_host"], view["smtp_port"], view["smtp_security"]) == (
        "mail.msp.test", 2525, "starttls")
    assert view["secrets_set"]["smtp_password"] is True
    assert "s3cret-relay-pw" not in client.get("/admin/setup/outgoing").text
    # an empty secret field keeps the secret; a wrong value is refused with the reason
    client.post("/admin/setup/outgoing", data={**form, "smtp_password": ""})
    assert api.get("/api/v1/connector")["secrets_set"]["smtp_password"] is True
    refused = client.post("/admin/setup/outgoing", data={**form, "smtp_port": "99999"})
    assert "Not saved" in refused.text and "smtp_port" in refused.text
    assert api.get("/api/v1/connector")["smtp_port"] == 2525


def test_the_overview_lists_placeholders_still_set(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/admin").text
    assert "public_address is a placeholder (support@msp.example)" in page


def test_try_a_subject_and_the_acknowledgement_preview(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/admin/setup/processing",
                      params={"try_subject": "Re: [Ticket #0000042] Printer"}).text
    assert "Ticket number found: <strong>0000042</strong>" in page
    assert "[Ticket #0000123] Printer offline" in page  # the preview, from the saved template
    bad = client.get("/admin/setup/processing", params={"try_subject": "x", "pattern": "("}).text
    assert "ticket subject pattern" in bad


def test_the_log_finds_a_message_by_sender_and_shows_its_decision(client: TestClient) -> None:
    sign_in(client)
    api = Api(client)
    first = api.deliver(make_email(sender="stranger@elsewhere.example", subject="Quote please"))
    api.deliver(make_email(sender="other@else.example", subject="Something else"))
    page = client.get("/admin/log", params={"sender": "STRANGER@"}).text
    assert "Quote please" in page and "Something else" not in page
    detail = client.get(f"/admin/log/{first['id']}").text
    assert first["reason"] in detail and "Mail it caused" in detail and "forward" in detail
    steps = re.findall(r'<li class="step-([a-z-]+)"><span>([^<]+)</span>', detail)
    assert steps[-1] == ("decided", "forward as unrecognized")
    assert {state for state, _ in steps[:-1]} == {"passed"}
    old = client.get("/admin/log", params={"date_from": "2000-01-01", "date_to": "2000-01-02"})
    assert "No message matches these filters" in old.text
    today = client.get("/admin/log", params={"date_to": first["received_at"][:10],
                                             "outcome": "forwarded_unrecognized"}).text
    assert "Quote please" in today and "Something else" in today  # the end date is inclusive
    wrong = client.get("/admin/log", params={"date_from": "yesterday", "ticket": "x1"}).text
    assert "not a date (YYYY-MM-DD)" in wrong and "x1&#39; is not a ticket number" in wrong
    raw = client.get(f"/admin/log/{first['id']}/raw")
    assert raw.headers["content-type"] == "message/rfc822" and b"Quote please" in raw.content


def test_the_inbound_messages_filters_and_an_unknown_one_is_422(client: TestClient) -> None:
    api = Api(client)
    api.deliver(make_email(sender="alice@acme.example", subject="Printer 50% broken"))
    api.deliver(make_email(sender="bob@beta.example", subject="Mail down"))

    def listed(**params: str) -> list[str]:
        return [m["subject"] for m in api.get("/api/v1/inbound-messages", params=params)["items"]]

    assert listed(sender="ALICE") == ["Printer 50% broken"]
    assert listed(subject="50%") == ["Printer 50% broken"]
    assert listed(subject="%") == ["Printer 50% broken"]  # a LIKE wildcard is only a character
    assert listed(source="raw", outcome="forwarded_unrecognized") == ["Mail down",
                                                                      "Printer 50% broken"]
    assert listed(source="mailgun") == []
    assert listed(received_from="2000-01-01", received_to="2000-01-02") == []
    assert len(listed(received_from="2000-01-01T00:00:00Z")) == 2
    assert listed(ticket="0000001") == []
    assert listed(status="done", outcome="ticket_created") == []
    response = client.get("/api/v1/inbound-messages", params={"senderr": "alice"},
                          headers=api.headers)
    assert response.status_code == 422 and "senderr" in response.json()["detail"]
    for wrong in ({"ticket": "abc"}, {"received_to": "0"}, {"received_from": "2026-13-45"}):
        assert client.get("/api/v1/inbound-messages", params=wrong,
                          headers=api.headers).status_code == 422, wrong


def test_failed_mail_is_retried_from_the_outbox(client: TestClient, smtp: SmtpSink) -> None:
    sign_in(client)
    api = Api(client)
    api.patch("/api/v1/connector", {"smtp_port": 9})  # nothing listens: the test mail fails
    result = api.post("/api/v1/connector/test-email", {"to": "tech@msp.example"}, status=200)
    assert result["ok"] is False
    [failed] = api.get("/api/v1/outbound-messages", params={"status": "failed"})["items"]
    page = client.get("/admin/outbox")
    assert "tech@msp.example" in page.text and "Retry" in page.text
    api.patch("/api/v1/connector", {"smtp_port": smtp.port})
    done = client.post(f"/admin/outbox/{failed['id']}/retry", data={"csrf_token": csrf(page.text)})
    assert "due again" in done.text
    assert smtp.wait_for(1) and smtp.to("tech@msp.example")
    again = client.post(f"/api/v1/outbound-messages/{failed['id']}/retry", headers=api.headers)
    assert again.status_code == 409


def test_docs_render_from_the_package_and_the_root_leads_to_the_console(
        client: TestClient) -> None:
    docs = client.get("/docs").text
    assert "cdn" not in docs.lower() and "swagger-ui-bundle.js" in docs
    asset = re.search(r'src="([^"]*swagger-ui-bundle\.js)"', docs).group(1)  # type: ignore[union-attr]
    assert client.get(asset).status_code == 200
    assert client.get("/", follow_redirects=False).headers["location"] == "/admin"


def test_the_preview_shows_edited_templates_without_saving_them(client: TestClient) -> None:
    sign_in(client)
    api = Api(client)
    page = client.get("/admin/setup/processing")
    form = {"csrf_token": csrf(page.text), "section": "processing",
            "acknowledgement_subject": "We got it: {subject} [#{number}]",
            "acknowledgement_body": "Hi{name}, ticket {number}.", "acknowledgements_per_hour": "5",
            "forwards_per_sender_per_hour": "30", "undeliverable_days": "30",
            "xml_api_unauthenticated_responses": "sender", "xml_api_password": "never-shown"}
    shown = client.post("/admin/setup/processing/preview", data=form).text
    assert "We got it: Printer offline [#0000123]" in shown and "Hi Bob Jones, ticket 0000123." in shown
    assert "not saved yet" in shown and "never-shown" not in shown
    assert api.get("/api/v1/connector")["acknowledgement_subject"] == "[Ticket #{number}] {subject}"
    assert api.get("/api/v1/connector")["secrets_set"]["xml_api_password"] is False
    broken = client.post("/admin/setup/processing/preview",
                         data={**form, "acknowledgement_subject": "{nope}"}).text
    assert "unknown placeholder" in broken


def test_an_attachment_of_a_message_is_a_download(client: TestClient) -> None:
    sign_in(client)
    api = Api(client)
    api.account("Acme", email="acme.example")
    message = api.deliver(make_email(attachments=[("report.html", "text/html",
                                                   b"<script>alert(1)</script>")]))
    detail = client.get(f"/admin/log/{message['id']}").text
    link = re.search(r'href="(/admin/attachments/\d+)"', detail)
    assert link and "report.html" in detail
    download = client.get(link.group(1))
    assert download.content == b"<script>alert(1)</script>"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["content-security-policy"] == "sandbox"
    assert client.get("/admin/attachments/999999").status_code == 404


def test_a_console_address_with_a_wrong_part_is_a_page_and_the_api_stays_json(
        client: TestClient) -> None:
    sign_in(client)
    page = client.get("/admin/log/not-a-number")
    assert page.status_code == 404 and "No such page" in page.text
    assert client.get("/admin/log/999999").status_code == 404
    api = client.get("/api/v1/inbound-messages/not-a-number", headers=Api(client).headers)
    assert api.status_code == 422 and api.json()["code"] == "request_invalid"  # a problem
    assert api.json()["errors"][0]["loc"] == ["path", "message_id"]


def test_a_refused_webhook_shows_with_its_reason_on_the_overview_and_the_provider(
        client: TestClient) -> None:
    sign_in(client)
    refused = client.post("/inbound/postmark", json={"RawEmail": "x"},
                          headers={"Authorization": "Basic d3Jvbmc6d3Jvbmc="})  # wrong:wrong
    assert refused.status_code == 401
    overview = client.get("/admin").text
    assert "postmark" in overview and "1 refused, last: 401 " in overview
    incoming = client.get("/admin/setup/incoming").text
    assert "1 refused, last: 401 valid inbound credentials are required" in incoming
