"""Credentials: REST API keys (Bearer) and the inbound endpoints' HTTP Basic pair.

When none is configured, one is generated on first start, stored in the data directory (mode
0600) and printed once on standard output, never logged. Comparisons run in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from api.application.clock import private_folder
from domain.settings import Secret


@dataclass(frozen=True)
class Credentials:
    api_key_digests: tuple[bytes, ...]
    inbound_username: str
    inbound_digest: bytes

    def api_key_valid(self, presented: str | None) -> bool:
        if not presented:
            return False
        digest = _digest(presented)
        # Check every key (no early exit) so timing says nothing about which one matched.
        matched = False
        for known in self.api_key_digests:
            matched |= hmac.compare_digest(digest, known)
        return matched

    def inbound_pair_valid(self, username: str, password: str) -> bool:
        return hmac.compare_digest(_digest(f"{username}:{password}"), self.inbound_digest)


def load_credentials(settings: Any) -> Credentials:
    if settings.api_keys is not None:
        keys = [k.strip() for k in settings.api_keys.get_secret_value().split(",") if k.strip()]
    else:
        keys = [_stored_secret(settings.data_dir / "api-key", "REST API key (Bearer)")]
    username = settings.inbound_username or "inbound"
    if settings.inbound_password is not None:
        password = settings.inbound_password.get_secret_value()
    else:
        password = _stored_secret(settings.data_dir / "inbound-password",
                                  f"inbound HTTP Basic password for user '{username}'")
    return Credentials(tuple(_digest(k) for k in keys), username,
                       _digest(f"{username}:{password}"))


def reply_reference_key(settings: Any) -> Secret:
    """The key of the signed reply reference (domain/reply_reference.py): the setting, else one
    generated on first start and kept in the data directory (never shown: nobody types it).
    Every process of one installation reads the same file, so all sign alike."""
    if settings.reply_reference_key is not None:
        return Secret(settings.reply_reference_key.get_secret_value())
    return Secret(_stored_secret(settings.data_dir / "reply-reference-key",
                                 "reply reference key", announce=False))


def _stored_secret(path: Path, label: str, *, kept: Callable[[str], str] = lambda s: s,
                   announce: bool = True) -> str:
    """The secret stored at `path`, generated (and printed once, if `announce`) when missing.
    What is stored, and returned, is `kept(secret)`: e.g. only a password's hash."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    private_folder(path.parent)
    secret = secrets.token_urlsafe(32)
    stored = kept(secret)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(stored + "\n")
    try:
        os.link(temporary, path)  # atomic, and fails if another process got there first
    except FileExistsError:
        return path.read_text().strip()
    finally:
        temporary.unlink(missing_ok=True)
    if announce:
        where = "stored in" if stored == secret else "only its hash stored in"
        print(f"Email Connector: generated {label}: {secret}\n  ({where} {path}; shown once)",
              file=sys.stdout, flush=True)
    return stored


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()
