"""XOAUTH2 logins end to end: a real Dovecot whose oauth2 passdb asks a loopback introspection
endpoint whether a token is active, and the connector's token cache (adapters/mailbox/oauth2.py)
getting its tokens from loopback token endpoints with each flow's own library (msal for
Microsoft 365, google-auth for Gmail, a plain RFC 6749 refresh grant otherwise)."""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.mailbox.imap import ImapConnector
from adapters.mailbox.oauth2 import REFRESH_MARGIN_SECONDS, OAuth2Tokens
from adapters.mailbox.pop3 import Pop3Connector
from api.application.mailbox_loop import KeptRefreshTokens
from api.application.mailboxes import imap_server, pop3_server
from api.application.polling import ImapPoller
from api.application.pop3_polling import Pop3Poller
from api.entrypoints.bootstrap import Process, Settings, build_process
from api.entrypoints.web import create_app
from tests.api.conftest import Api, make_settings
from tests.conftest import wait_until
from tests.mail import email
from tests.mailbox.conftest import USER, Dovecot, running_dovecot
from tests.mailbox.token_service import TENANT, TokenService


@pytest.fixture
def tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TokenService]:
    service = TokenService(tmp_path, USER).start()
    # requests (under msal, google-auth and the refresh grant) trusts the throwaway certificate
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(service.ca_file))
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def dovecot(tokens: TokenService) -> Iterator[Dovecot]:
    with running_dovecot(tokens.introspection_url) as server:
        yield server


def oauth2_settings(protocol: str, tokens: TokenService, flow: str = "refresh_token",
                    **extra: Any) -> dict[str, Any]:
    values = {"auth": "oauth2", "oauth2_flow": flow, "oauth2_client_id": "connector-app",
              "oauth2_refresh_token": "refresh-1",
              "oauth2_token_url": f"{tokens.base}/generic/token", **extra}
    return {f"{protocol}_{key}": value for key, value in values.items()}


@pytest.fixture
def connector(dovecot: Dovecot, tmp_path: Path, database_url: str) -> Iterator[Any]:
    """Makes connector processes with these settings (stopped at the end)."""
    made: list[Process] = []

    def make(**settings: Any) -> Process:
        made.append(build_process(Settings(_env_file=None, **base_settings(
            dovecot, tmp_path, database_url), **settings)))
        return made[-1]

    yield make
    for process in made:
        process.stop()


def base_settings(dovecot: Dovecot, tmp_path: Path, database_url: str) -> dict[str, Any]:
    return dict(database_url=database_url, data_dir=tmp_path / "data", inline_worker=False,
                  api_keys="k", inbound_username="u", inbound_password="p",
                  imap_host="127.0.0.1", imap_port=dovecot.imap_port, imap_security="none",
                  imap_username=dovecot.user, pop3_host="127.0.0.1", pop3_port=dovecot.pop3_port,
                  pop3_security="none", pop3_username=dovecot.user)


def take_imap(process: Process, tokens: OAuth2Tokens) -> int:
    services = process.services
    server = imap_server(services.settings.current(max_age=0))
    poller = ImapPoller(services.storage, services.settings, ImapConnector(tokens=tokens),
                        services.ingest.store)
    with ImapConnector(tokens=tokens).connect(server) as client:  # type: ignore[arg-type]
        return poller.take(client, server)  # type: ignore[arg-type]


def mails(count: int, start: int = 0) -> list[bytes]:
    return [email(sender=f"user{i}@acme.example", subject=f"Problem {i}",
                  message_id=f"<oauth-{i}@acme.example>") for i in range(start, start + count)]


def test_the_imap_poller_logs_in_with_xoauth2_using_a_token_from_the_token_endpoint(
        dovecot: Dovecot, tokens: TokenService, connector: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    process = connector(**oauth2_settings("imap", tokens))
    dovecot.append(*mails(2))
    with caplog.at_level(logging.DEBUG):  # every library's debug lines too
        assert take_imap(process, OAuth2Tokens()) == 2
    sasl = base64.b64encode(f"user={USER}\1auth=Bearer access-1\1\1".encode()).decode()
    assert caplog.records and not any(
        secret in caplog.text for secret in ("access-1", "refresh-1", sasl))
    [(path, form)] = tokens.grants
    assert path == "/generic/token" and form["grant_type"] == "refresh_token"
    assert form["refresh_token"] == "refresh-1" and form["client_id"] == "connector-app"
    assert tokens.presented == ["access-1"]  # what Dovecot was shown is what was issued
    assert f"user=<{USER}>, method=XOAUTH2" in dovecot.log()


def test_a_token_is_renewed_five_minutes_before_it_expires_and_not_sooner(
        dovecot: Dovecot, tokens: TokenService,
        connector: Any) -> None:
    process = connector(**oauth2_settings("imap", tokens))
    now = [1_000_000.0]
    cache = OAuth2Tokens(clock=lambda: now[0])
    dovecot.append(*mails(1))
    assert take_imap(process, cache) == 1
    now[0] += tokens.expires_in - REFRESH_MARGIN_SECONDS - 1  # still more than 5 min left
    dovecot.append(*mails(1, start=1))
    assert take_imap(process, cache) == 1
    assert len(tokens.grants) == 1 and tokens.presented == ["access-1", "access-1"]
    now[0] += 2  # now less than five minutes are left: renewed before the next login
    tokens.revoke_access_tokens()  # and the old one would no longer do
    dovecot.append(*mails(1, start=2))
    assert take_imap(process, cache) == 1
    assert len(tokens.grants) == 2 and tokens.presented[-1] == "access-2"


def test_a_revoked_token_is_replaced_and_a_revoked_grant_fails_clearly_in_check_and_health(
        dovecot: Dovecot, tokens: TokenService, tmp_path: Path, database_url: str) -> None:
    settings = make_settings(
        tmp_path, database_url=database_url, imap_host="127.0.0.1",
        imap_port=dovecot.imap_port, imap_security="none", imap_username=dovecot.user,
        imap_poll_seconds=1, inline_pollers=False, **oauth2_settings("imap", tokens))
    app = create_app(settings)
    with TestClient(app) as client:
        api = Api(client)
        check = api.post("/api/v1/connector/imap-check", status=200)
        assert check["ok"] is True and "folder INBOX holds 0 messages" in check["detail"]

        tokens.revoke_access_tokens()  # revoked before its expiry: refused, so replaced
        again = api.post("/api/v1/connector/imap-check", status=200)
        assert again["ok"] is True and tokens.presented[-2:] == ["access-1", "access-2"]

        tokens.accepted = False  # the server refuses every token (say, IMAP turned off)
        refused = api.post("/api/v1/connector/imap-check", status=200)
        assert refused["ok"] is False
        assert "login refused (XOAUTH2): [AUTHENTICATIONFAILED]" in refused["detail"]
        tokens.accepted = True

        tokens.refresh_tokens.clear()  # the grant itself is revoked
        tokens.revoke_access_tokens()
        failed = api.post("/api/v1/connector/imap-check", status=200)
        assert failed["ok"] is False, failed
        assert "no OAuth2 access token: token endpoint" in failed["detail"]
        assert "refused (HTTP 400): invalid_grant: The refresh token was revoked." in \
            failed["detail"]
        assert "refresh-1" not in failed["detail"] and "client-secret" not in failed["detail"]

        process = app.state.process
        poller = ImapPoller(process.services.storage, process.services.settings,
                            process.services.imap, process.services.ingest.store)
        thread = threading.Thread(target=poller.run, daemon=True)
        thread.start()
        try:
            wait_until(lambda: client.get("/readyz").json()["checks"].get(
                f"mailbox {dovecot.user}", "").startswith("error: OAuth2Error: token endpoint"),
                timeout=30)
            state = client.get("/readyz").json()["checks"][f"mailbox {dovecot.user}"]
            assert "invalid_grant" in state and "refresh-1" not in state
        finally:
            poller.stop()
            thread.join(timeout=30)


def test_the_pop3_poller_logs_in_with_auth_xoauth2_and_a_refused_token_says_so(
        dovecot: Dovecot, tokens: TokenService,
        connector: Any) -> None:
    process = connector(**oauth2_settings("pop3", tokens))
    dovecot.append(*mails(2))
    services = process.services
    server = pop3_server(services.settings.current(max_age=0))
    assert server is not None
    cache = OAuth2Tokens()
    pop3 = Pop3Connector(tokens=cache)
    poller = Pop3Poller(services.storage, services.settings, pop3, services.ingest.store)
    with pop3.connect(server) as client:
        assert poller.take(client, server) == 2
    assert f"user=<{USER}>, method=XOAUTH2" in dovecot.log()
    tokens.revoke_access_tokens()  # refused, dropped, and replaced on the same session
    ok, detail = pop3.check(server)
    assert ok and tokens.presented[-2:] == ["access-1", "access-2"], detail
    tokens.accepted = False
    ok, detail = pop3.check(server)
    assert not ok and "refused: -ERR [AUTH] Authentication failed." in detail, detail
    tokens.refresh_tokens.clear()
    ok, detail = pop3.check(server)
    assert not ok and "no OAuth2 access token" in detail and "invalid_grant" in detail, detail


def test_microsoft_365_app_only_tokens_come_from_msal_and_log_in(
        dovecot: Dovecot, tokens: TokenService,
        connector: Any) -> None:
    process = connector(**oauth2_settings(
        "imap", tokens, "microsoft_app", oauth2_tenant=TENANT, oauth2_token_url=tokens.base,
        oauth2_client_secret=tokens.client_secret, oauth2_refresh_token=None))
    dovecot.append(*mails(1))
    assert take_imap(process, OAuth2Tokens()) == 1
    [(path, form)] = tokens.grants  # msal found the token endpoint by OpenID discovery
    assert path == f"/{TENANT}/oauth2/v2.0/token"
    assert form["grant_type"] == "client_credentials" and form["client_id"] == "connector-app"
    assert form["scope"] == "https://outlook.office365.com/.default"
    assert form["client_secret"] == tokens.client_secret


def test_a_wrong_microsoft_client_secret_is_named_in_the_check(
        dovecot: Dovecot, tokens: TokenService,
        connector: Any) -> None:
    process = connector(**oauth2_settings(
        "imap", tokens, "microsoft_app", oauth2_tenant=TENANT, oauth2_token_url=tokens.base,
        oauth2_client_secret="wrong-secret"))
    server = imap_server(process.services.settings.current(max_age=0))
    ok, detail = ImapConnector(tokens=OAuth2Tokens()).check(server)  # type: ignore[arg-type]
    assert not ok and "invalid_client: AADSTS7000215" in detail and "wrong-secret" not in detail


def test_microsoft_365_delegated_tokens_come_from_a_refresh_token_through_msal(
        dovecot: Dovecot, tokens: TokenService,
        connector: Any) -> None:
    process = connector(**oauth2_settings(
        "imap", tokens, "microsoft_refresh_token", oauth2_tenant=TENANT,
        oauth2_token_url=tokens.base))
    dovecot.append(*mails(1))
    assert take_imap(process, OAuth2Tokens()) == 1
    [(path, form)] = tokens.grants
    assert path == f"/{TENANT}/oauth2/v2.0/token" and form["grant_type"] == "refresh_token"
    assert form["refresh_token"] == "refresh-1"
    assert "https://outlook.office365.com/.default" in form["scope"].split()


def test_gmail_tokens_come_from_google_auth_with_a_refresh_token(
        dovecot: Dovecot, tokens: TokenService,
        connector: Any) -> None:
    process = connector(**oauth2_settings(
        "imap", tokens, "google_refresh_token", oauth2_token_url=f"{tokens.base}/google/token",
        oauth2_client_secret=tokens.client_secret))
    dovecot.append(*mails(1))
    assert take_imap(process, OAuth2Tokens()) == 1
    [(path, form)] = tokens.grants
    assert path == "/google/token" and form["grant_type"] == "refresh_token"
    assert form["client_secret"] == tokens.client_secret


def test_a_google_service_account_acts_as_the_mailbox_user(
        dovecot: Dovecot, tokens: TokenService,
        connector: Any) -> None:
    key_file = tokens.service_account_file()
    process = connector(**oauth2_settings(
        "imap", tokens, "google_service_account", oauth2_service_account_file=str(key_file),
        oauth2_token_url=None, oauth2_refresh_token=None))
    dovecot.append(*mails(1))
    assert take_imap(process, OAuth2Tokens()) == 1
    [(path, form)] = tokens.grants  # its signed assertion was checked: sub is the mailbox
    assert path == "/google/token"
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    [claims] = tokens.assertions
    assert claims["sub"] == USER and claims["scope"] == "https://mail.google.com/"
    assert claims["iss"] == "connector@msp-test.iam.example"


@pytest.mark.parametrize("flow", ["refresh_token", "microsoft_refresh_token",
                                  "google_refresh_token"])
def test_a_rotated_refresh_token_is_kept_and_used_after_a_restart(
        dovecot: Dovecot, tokens: TokenService, connector: Any, flow: str) -> None:
    tokens.rotate = True  # the configured refresh-1 stops working once it has been used
    extra = {"microsoft_refresh_token": {"oauth2_tenant": TENANT, "oauth2_token_url": tokens.base},
             "google_refresh_token": {"oauth2_client_secret": tokens.client_secret,
                                      "oauth2_token_url": f"{tokens.base}/google/token"},
             }.get(flow, {})
    process = connector(**oauth2_settings("imap", tokens, flow=flow, **extra))
    keeper = KeptRefreshTokens(process.services.storage)
    dovecot.append(*mails(1))
    assert take_imap(process, OAuth2Tokens(keeper=keeper)) == 1
    assert "refresh-1" not in tokens.refresh_tokens
    dovecot.append(*mails(1, start=1))
    restarted = build_process(process.settings)  # a new process: nothing in memory
    try:
        assert take_imap(restarted, OAuth2Tokens(keeper=KeptRefreshTokens(
            restarted.services.storage))) == 1
    finally:
        restarted.stop()
    used = [form["refresh_token"] for _, form in tokens.grants if "refresh_token" in form]
    assert used[0] == "refresh-1" and used[1].startswith("refresh-rotated-")
    # Without a keeper (as before), the restart presents the revoked refresh-1 again.
    with pytest.raises(Exception, match="invalid_grant|revoked"):
        take_imap(process, OAuth2Tokens())
