"""Named REST API keys and the inbound password (domain.ports.CredentialStore): digests only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session

from adapters.persistence.tables import ConsoleSignedOut, ConsoleSignInFailure, Credential
from domain.messages import StoredApiKey

API_KEY = "api_key"
RETIRING = "api_key_retiring"  # the key a rotation replaced, accepted until its expires_at
INBOUND = ("inbound_password", "inbound")  # one row: (kind, name)


class SqlCredentialStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def api_keys(self) -> list[StoredApiKey]:
        """The current keys by name, each followed by its retiring key if it has one."""
        rows = self.session.execute(
            select(Credential).where(Credential.kind.in_((API_KEY, RETIRING)))  # type: ignore[attr-defined]
            .order_by(Credential.name, Credential.kind)).scalars()  # type: ignore[arg-type]
        return [StoredApiKey(row.name, bytes(row.digest), row.created_at, row.last_used_at,
                             row.expires_at) for row in rows]

    def save_api_key(self, key: StoredApiKey) -> None:
        kind = API_KEY if key.expires_at is None else RETIRING
        self.session.merge(Credential(kind=kind, name=key.name, digest=key.digest,
                                      created_at=key.created_at, last_used_at=key.last_used_at,
                                      expires_at=key.expires_at))
        self.session.flush()

    def remove_api_key(self, name: str) -> bool:
        result = self.session.execute(delete(Credential).where(
            Credential.kind.in_((API_KEY, RETIRING)), Credential.name == name))  # type: ignore[attr-defined]
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def mark_used(self, names: Sequence[str], now: datetime, *, retiring: bool = False) -> None:
        if names:
            self.session.execute(update(Credential).where(
                Credential.kind == (RETIRING if retiring else API_KEY),  # type: ignore[arg-type]
                Credential.name.in_(list(names)),  # type: ignore[attr-defined]
            ).values(last_used_at=now))

    def inbound_password_digest(self) -> bytes | None:
        row = self.session.get(Credential, INBOUND)
        return None if row is None else bytes(row.digest)

    def save_inbound_password_digest(self, digest: bytes, now: datetime) -> None:
        self.session.merge(Credential(kind=INBOUND[0], name=INBOUND[1], digest=digest,
                                      created_at=now))
        self.session.flush()

    # --- the admin console's failed sign-ins and signed-out sessions ---------------------------

    def sign_in_failures(self, key_digests: Sequence[str], since: datetime) -> int:
        F = ConsoleSignInFailure
        counts = self.session.execute(
            select(func.count()).where(F.key_digest.in_(list(key_digests)), F.at >= since)  # type: ignore[attr-defined]
            .group_by(F.key_digest)).scalars()
        return max(counts, default=0)

    def add_sign_in_failure(self, key_digests: Sequence[str], at: datetime,
                            forget_before: datetime) -> None:
        F = ConsoleSignInFailure
        self.session.execute(delete(F).where(F.at < forget_before))  # type: ignore[arg-type]
        self.session.execute(insert(F), [{"key_digest": k, "at": at} for k in key_digests])

    def sign_out(self, nonce: str, until: datetime, now: datetime) -> None:
        S = ConsoleSignedOut
        self.session.execute(delete(S).where(S.until < now))  # type: ignore[arg-type]
        self.session.merge(S(nonce=nonce, until=until))
        self.session.flush()

    def signed_out(self, nonce: str, now: datetime) -> bool:
        row = self.session.get(ConsoleSignedOut, nonce)
        return row is not None and row.until > now
