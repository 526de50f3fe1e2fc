"""The admin console's account, its sessions, CSRF tokens and the limit on failed sign-ins.

One account: CONNECTOR_ADMIN_USERNAME / _PASSWORD, else a password generated on first start,
printed once, and only its Argon2 hash kept (data directory, `admin-password.argon2`, 0600).
Sessions are signed cookies (itsdangerous, a key from CONNECTOR_ADMIN_SESSION_KEY or generated
into the data directory), so no table is needed; each carries a random nonce, and the CSRF token
of a form is an HMAC of that nonce. Signing out removes the cookie and refuses its nonce until
it would have expired, and failed sign-ins are counted per user name and per client address:
both in the database, so every web process refuses the same (by a digest: a password typed
into the name field is not stored). Without a storage (tools, tests), in this process's memory.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.application.clock import utcnow
from api.application.credentials import _stored_secret
from domain.errors import TooManyAttempts, Unauthorized
from domain.ports import Storage

SESSION_SECONDS = 12 * 3600  # a signed-in session lasts this long (then: sign in again)
FAILURES_ALLOWED = 5  # failed sign-ins per user name, and per client address, ...
FAILURE_WINDOW_SECONDS = 15 * 60.0  # ... within this window; then refused until it passes
_hasher = PasswordHasher()


@dataclass(frozen=True)
class ConsoleSession:
    nonce: str
    username: str | None = None  # None: a visitor who has not signed in (the sign-in form)


class SignInLimiter:
    """At most `allowed` failures per key (user name, client address) in a sliding window."""

    def __init__(self, *, allowed: int = FAILURES_ALLOWED,
                 window_seconds: float = FAILURE_WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._allowed, self._window, self._clock = allowed, window_seconds, clock
        self._failures: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: Hashable, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= self._window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def blocked(self, keys: Iterable[Hashable]) -> bool:
        now = self._clock()
        with self._lock:
            return any(len(self._recent(k, now)) >= self._allowed for k in keys)

    def failed(self, keys: Iterable[Hashable]) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, self._recent(key, now)).append(now)


class SharedSignInLimiter:
    """SignInLimiter's rule, counted in the database: a failure in one web process counts in
    every other (with N processes an attacker would otherwise have N times the attempts)."""

    def __init__(self, storage: Storage, *, allowed: int = FAILURES_ALLOWED,
                 window_seconds: float = FAILURE_WINDOW_SECONDS,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._storage, self._allowed, self._clock = storage, allowed, clock
        self._window = timedelta(seconds=window_seconds)

    def blocked(self, keys: Iterable[Hashable]) -> bool:
        with self._storage.reading() as uow:
            failures = uow.credentials.sign_in_failures(_digests(keys), self._clock() - self._window)
        return failures >= self._allowed

    def failed(self, keys: Iterable[Hashable]) -> None:
        now = self._clock()
        with self._storage.writing() as uow:
            uow.credentials.add_sign_in_failure(_digests(keys), now, now - self._window)


def _digests(keys: Iterable[Hashable]) -> list[str]:
    return [hashlib.sha256(repr(key).encode()).hexdigest() for key in keys]


class AdminConsole:
    def __init__(self, username: str, password_hash: Callable[[], str], key: str, *,
                 limiter: SignInLimiter | SharedSignInLimiter | None = None,
                 storage: Storage | None = None) -> None:
        self.username = username
        self._password_hash = password_hash
        self._hash: str | None = None
        self._key = key.encode()
        self._serializer = URLSafeTimedSerializer(key, salt="email-connector-console")
        self.limiter = limiter or (SharedSignInLimiter(storage) if storage else SignInLimiter())
        self._storage = storage
        self._lock = threading.Lock()
        self._signed_out: dict[str, float] = {}  # nonce -> when its cookie expires anyway

    def _known_hash(self) -> str:
        with self._lock:  # an environment password is hashed at its first use, not at start-up
            if self._hash is None:
                self._hash = self._password_hash()
            return self._hash

    def sign_in(self, username: str, password: str, *, client: str) -> str:
        """A signed-in session's cookie value; Unauthorized or TooManyAttempts otherwise."""
        keys = [("user", username.strip().lower()), ("client", client)]
        if self.limiter.blocked(keys):
            raise TooManyAttempts("too many failed sign-ins: try again in a few minutes")
        try:  # the hash is checked whatever the name, so timing does not tell a right name
            password_ok: bool = _hasher.verify(self._known_hash(), password)
        except (VerificationError, InvalidHashError):
            password_ok = False
        name_ok = hmac.compare_digest(username.strip().encode(), self.username.encode())
        if not (password_ok and name_ok):
            self.limiter.failed(keys)
            raise Unauthorized("wrong user name or password")
        return self.issue(ConsoleSession(secrets.token_urlsafe(16), self.username))

    def issue(self, session: ConsoleSession) -> str:
        return str(self._serializer.dumps({"n": session.nonce, "u": session.username}))

    def visitor(self) -> tuple[ConsoleSession, str]:
        """A new visitor's session (for the sign-in form's CSRF token) and its cookie value."""
        session = ConsoleSession(secrets.token_urlsafe(16))
        return session, self.issue(session)

    def sign_out(self, session: ConsoleSession | None) -> None:
        """Refuse this session's cookie from now on (in every process, with a storage)."""
        if session is None:
            return
        if self._storage is not None:
            moment = utcnow()
            with self._storage.writing() as uow:
                uow.credentials.sign_out(session.nonce, moment + timedelta(
                    seconds=SESSION_SECONDS), moment)
            return
        now = time.time()
        with self._lock:
            self._signed_out = {n: t for n, t in self._signed_out.items() if t > now}
            self._signed_out[session.nonce] = now + SESSION_SECONDS

    def session(self, cookie: str | None) -> ConsoleSession | None:
        if not cookie:
            return None
        try:
            data: Any = self._serializer.loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:  # also an expired one (SignatureExpired)
            return None
        if not isinstance(data, dict) or not isinstance(data.get("n"), str):
            return None
        username = data.get("u")
        if username is not None and username != self.username:
            return None  # the account was renamed since
        if self._is_signed_out(data["n"]):
            return None
        return ConsoleSession(data["n"], username)

    def _is_signed_out(self, nonce: str) -> bool:
        if self._storage is None:
            return nonce in self._signed_out
        with self._storage.reading() as uow:
            return uow.credentials.signed_out(nonce, utcnow())

    def csrf_token(self, session: ConsoleSession) -> str:
        return hmac.new(self._key, b"csrf:" + session.nonce.encode(), hashlib.sha256).hexdigest()

    def csrf_valid(self, session: ConsoleSession | None, presented: str | None) -> bool:
        if session is None or not presented:
            return False
        return hmac.compare_digest(self.csrf_token(session), presented)


def load_admin(settings: Any, storage: Storage | None = None) -> AdminConsole:
    """The console account of the settings (generating its password on first start)."""
    username = (settings.admin_username or "admin").strip()
    if settings.admin_password is not None:
        password = settings.admin_password.get_secret_value()

        def password_hash() -> str:
            return str(_hasher.hash(password))
    else:
        stored = _stored_secret(settings.data_dir / "admin-password.argon2",
                                f"admin console password for user '{username}' (/admin)",
                                kept=_hasher.hash)

        def password_hash() -> str:
            return stored
    if settings.admin_session_key is not None:
        key = settings.admin_session_key.get_secret_value()
    else:
        key = _stored_secret(settings.data_dir / "console-session-key", "", announce=False)
    return AdminConsole(username, password_hash, key, storage=storage)
