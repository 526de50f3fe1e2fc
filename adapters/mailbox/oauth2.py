"""OAuth2 access tokens for XOAUTH2 logins to polled mailboxes (domain.ports.AccessTokens).

Each flow uses its provider's own library where there is one: msal for Microsoft 365 (client
credentials for app-only access, or a user's refresh token), google-auth for Gmail (a refresh
token, or a service account acting as the mailbox user through domain-wide delegation), and a
plain RFC 6749 §6 refresh-token grant for any other token endpoint. A token is kept until five
minutes before it expires, then renewed at its next use; a token the mail server refused is
dropped at once (`forget`), so the next login asks for a new one. Secrets and tokens are never
in a message or log line: errors name the token service and its error code only.

A refresh token the token endpoint rotates (RFC 6749 §6 allows it; Microsoft does it at each
use; servers with rotation and reuse detection revoke the old one) is kept through `keeper`
(the database, shared by every process) and used from then on, also after a restart; a newly
configured refresh token starts afresh (the key is a digest of the grant as configured).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msal
import requests
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2 import credentials as google_credentials
from google.oauth2 import service_account

from domain.messages import OAuth2Grant
from domain.ports import RefreshTokenKeeper

log = logging.getLogger(__name__)

REFRESH_MARGIN_SECONDS = 300.0
MICROSOFT_AUTHORITY = "https://login.microsoftonline.com"
# App-only and delegated IMAP/POP access to Exchange Online both name the resource this way
# (Microsoft's "Authenticate an IMAP, POP or SMTP connection using OAuth").
MICROSOFT_SCOPE = "https://outlook.office365.com/.default"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_SCOPE = "https://mail.google.com/"  # the one scope Gmail's IMAP and POP accept
FLOWS = ("microsoft_app", "microsoft_refresh_token", "google_refresh_token",
         "google_service_account", "refresh_token")


class OAuth2Error(Exception):
    """No access token: the reason, without any secret."""


class OAuth2Tokens:
    def __init__(self, *, clock: Callable[[], float] = time.time,
                 margin_seconds: float = REFRESH_MARGIN_SECONDS, timeout: float = 30.0,
                 keeper: RefreshTokenKeeper | None = None) -> None:
        self._keeper = keeper
        self._latest: dict[str, str] = {}  # grant key: the refresh token it was rotated to
        self._unsaved: set[str] = set()  # rotated, but the keeper failed: memory is newer
        self._clock = clock
        self._margin = margin_seconds
        self._timeout = timeout
        self._lock = threading.Lock()
        self._grant_locks: dict[OAuth2Grant, threading.Lock] = {}
        self._tokens: dict[OAuth2Grant, tuple[str, float]] = {}
        self._clients: dict[OAuth2Grant, Any] = {}  # msal apps, google credentials

    def token(self, grant: OAuth2Grant) -> str:
        with self._lock:
            lock = self._grant_locks.setdefault(grant, threading.Lock())
        with lock:  # one renewal per grant at a time, however many mailboxes share it
            cached = self._tokens.get(grant)
            if cached is not None and cached[1] - self._margin > self._clock():
                return cached[0]
            token, lifetime = self._fetch(grant)
            self._tokens[grant] = (token, self._clock() + lifetime)
            return token

    def forget(self, grant: OAuth2Grant) -> None:
        with self._lock:
            self._tokens.pop(grant, None)
            self._clients.pop(grant, None)  # their own caches would hand the same token back

    def _fetch(self, grant: OAuth2Grant) -> tuple[str, float]:
        if grant.flow == "microsoft_app" or grant.flow == "microsoft_refresh_token":
            return self._microsoft(grant)
        if grant.flow == "google_refresh_token" or grant.flow == "google_service_account":
            return self._google(grant)
        if grant.flow == "refresh_token":
            return self._refresh_grant(grant)
        raise OAuth2Error(f"no OAuth2 flow is set (one of {', '.join(FLOWS)})")

    # --- Microsoft 365 (msal) -----------------------------------------------------------------

    def _microsoft(self, grant: OAuth2Grant) -> tuple[str, float]:
        if not grant.client_id or not grant.tenant:
            raise OAuth2Error("Microsoft 365 needs the application (client) ID and the tenant")
        authority = f"{(grant.token_url or MICROSOFT_AUTHORITY).rstrip('/')}/{grant.tenant}"
        scopes = (grant.scope or MICROSOFT_SCOPE).split()
        try:
            app = self._clients.get(grant)
            if app is None:
                options = dict(authority=authority, timeout=self._timeout,
                               instance_discovery=False)
                if grant.client_secret:
                    app = msal.ConfidentialClientApplication(
                        grant.client_id, client_credential=str(grant.client_secret), **options)
                else:
                    app = msal.PublicClientApplication(grant.client_id, **options)
                self._clients[grant] = app
            if grant.flow == "microsoft_app":
                if not grant.client_secret:
                    raise OAuth2Error("Microsoft 365 app-only access needs the client secret")
                result = app.acquire_token_for_client(scopes=scopes)
            else:
                if not grant.refresh_token:
                    raise OAuth2Error("no refresh token is set")
                used = self._refresh_token(grant)
                result = app.acquire_token_by_refresh_token(used, scopes=scopes)
                self._rotated(grant, used, result.get("refresh_token"))
        except (ValueError, requests.RequestException) as exc:  # discovery or network
            self._clients.pop(grant, None)
            raise OAuth2Error(f"Microsoft authority {authority}: {_reason(exc)}") from None
        if "access_token" not in result:
            self._clients.pop(grant, None)
            raise OAuth2Error(f"Microsoft authority {authority} refused: "
                              f"{result.get('error')}: {_first_line(result)}")
        return str(result["access_token"]), float(result.get("expires_in") or 3600)

    # --- Gmail / Google Workspace (google-auth) -------------------------------------------------

    def _google(self, grant: OAuth2Grant) -> tuple[str, float]:
        scopes = (grant.scope or GOOGLE_SCOPE).split()
        where = grant.token_url or GOOGLE_TOKEN_URL
        try:
            credentials = self._clients.get(grant)
            if credentials is None:
                if grant.flow == "google_service_account":
                    if not grant.service_account_file:
                        raise OAuth2Error("no service account key file is set")
                    credentials = service_account.Credentials.from_service_account_file(
                        grant.service_account_file, scopes=scopes, subject=grant.subject)
                    where = credentials._token_uri  # noqa: SLF001 (the key file names it)
                else:
                    if not (grant.refresh_token and grant.client_id and grant.client_secret):
                        raise OAuth2Error("Gmail needs the client ID, client secret and "
                                          "refresh token")
                    credentials = google_credentials.Credentials(
                        None, refresh_token=self._refresh_token(grant), token_uri=where,
                        client_id=grant.client_id, client_secret=str(grant.client_secret),
                        scopes=scopes)
            used = getattr(credentials, "refresh_token", None)  # a service account has none
            session = requests.Session()
            credentials.refresh(GoogleRequest(session))
        except (GoogleAuthError, OSError, ValueError) as exc:
            raise OAuth2Error(f"Google token endpoint {where}: {_reason(exc)}") from None
        self._clients[grant] = credentials
        if used:
            self._rotated(grant, used, credentials.refresh_token)
        expiry = credentials.expiry  # naive UTC (google-auth's convention)
        now = datetime.now(UTC).replace(tzinfo=None)
        lifetime = (expiry - now).total_seconds() if expiry else 3600.0
        return str(credentials.token), lifetime

    # --- any other token endpoint (RFC 6749 §6) ----------------------------------------------

    def _refresh_grant(self, grant: OAuth2Grant) -> tuple[str, float]:
        if not grant.token_url or not grant.refresh_token:
            raise OAuth2Error("the refresh_token flow needs the token URL and a refresh token")
        refresh_token = self._refresh_token(grant)
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if grant.client_id:
            form["client_id"] = grant.client_id
        if grant.client_secret:
            form["client_secret"] = str(grant.client_secret)
        if grant.scope:
            form["scope"] = grant.scope
        try:
            response = requests.post(grant.token_url, data=form, timeout=self._timeout,
                                     headers={"Accept": "application/json"})
            answer = response.json() if response.content else {}
        except (requests.RequestException, ValueError) as exc:
            raise OAuth2Error(f"token endpoint {grant.token_url}: {_reason(exc)}") from None
        if response.status_code != 200 or not isinstance(answer, dict) or \
                "access_token" not in answer:
            error = answer.get("error") if isinstance(answer, dict) else None
            raise OAuth2Error(f"token endpoint {grant.token_url} refused "
                              f"(HTTP {response.status_code}): {error or 'no access_token'}"
                              + (f": {_first_line(answer)}" if isinstance(answer, dict) else ""))
        self._rotated(grant, refresh_token, answer.get("refresh_token"))
        return str(answer["access_token"]), float(answer.get("expires_in") or 3600)

    # --- rotated refresh tokens -------------------------------------------------------------

    def _refresh_token(self, grant: OAuth2Grant) -> str:
        """The newest refresh token of the grant: the one it was last rotated to, by any
        process (asked at each renewal, about once an hour), else the configured one."""
        key = grant_key(grant)
        if self._keeper is not None and key not in self._unsaved:
            try:
                kept = self._keeper.get(key)
            except Exception as exc:  # the database is down: what this process knows
                log.warning("the rotated refresh token could not be read: %s", _reason(exc))
            else:
                if kept:
                    self._latest[key] = kept
        return self._latest.get(key) or str(grant.refresh_token)

    def _rotated(self, grant: OAuth2Grant, used: str, new: Any) -> None:
        if not isinstance(new, str) or not new or new == used:
            return
        key = grant_key(grant)
        self._latest[key] = new
        if self._keeper is None:
            return
        try:
            self._keeper.keep(key, new)
            self._unsaved.discard(key)
        except Exception as exc:
            self._unsaved.add(key)
            log.error("the rotated refresh token is kept in this process only, not for the "
                      "next start: %s", _reason(exc))


def grant_key(grant: OAuth2Grant) -> str:
    """Names a grant as configured (its configured refresh token included, as a digest)."""
    parts = (grant.flow, grant.token_url, grant.tenant, grant.client_id, grant.refresh_token)
    return hashlib.sha256("\0".join(p or "" for p in parts).encode()).hexdigest()


def log_in_with_token(tokens: Any, grant: OAuth2Grant, log_in: Callable[[str], None],
                      refused: type[BaseException] | tuple[type[BaseException], ...]) -> None:
    """Log in with the cached token; a refused one (revoked before its expiry) is dropped and
    a new one tried once, on the same connection (still unauthenticated after a refusal)."""
    for attempt in (1, 2):
        try:
            log_in(tokens.token(grant))
            return
        except refused:
            tokens.forget(grant)
            if attempt == 2:
                raise


def _first_line(answer: dict[str, Any]) -> str:
    text = str(answer.get("error_description") or "").strip()
    return text.splitlines()[0][:300] if text else "no description"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
