"""Sending over SMTP (smtplib): plain, STARTTLS or implicit TLS, with optional AUTH."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


class SendFailed(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    security: str = "none"  # none | starttls | tls
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0


class SmtpConnection:
    def __init__(self, client: smtplib.SMTP) -> None:
        self._client = client

    @property
    def supports_8bit(self) -> bool:
        return bool(self._client.has_extn("8bitmime"))

    def send(self, mail_from: str, recipients: list[str], data: bytes) -> None:
        options = ["BODY=8BITMIME"] if self.supports_8bit and not data.isascii() else []
        try:
            refused = self._client.sendmail(mail_from, recipients, data, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise SendFailed(f"all recipients refused: {_describe(exc.recipients)}",
                             permanent=all(c >= 500 for c in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            raise SendFailed(f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}",
                             permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"{type(exc).__name__}: {exc}", permanent=False) from exc
        if refused:
            # Some recipients took it: not retried, or those would get it twice.
            raise SendFailed(f"some recipients refused: {_describe(refused)}", permanent=True)


class SmtpMailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    @contextmanager
    def connect(self) -> Iterator[SmtpConnection]:
        c = self.config
        try:
            client: smtplib.SMTP
            if c.security == "tls":
                client = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            client.ehlo_or_helo_if_needed()
            if c.security == "starttls":
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if c.username:
                client.login(c.username, c.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise SendFailed(f"SMTP authentication failed ({exc.smtp_code})", permanent=False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"cannot connect to {c.host}:{c.port}: {type(exc).__name__}: {exc}",
                             permanent=False) from exc
        try:
            yield SmtpConnection(client)
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    def check(self) -> tuple[bool, str]:
        """Connect, say hello, authenticate when configured: what 'Test SMTP Connection' did."""
        try:
            with self.connect():
                pass
        except SendFailed as exc:
            return False, str(exc)
        auth = " and authenticated" if self.config.username else ""
        return True, f"connected to {self.config.host}:{self.config.port}{auth}"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _describe(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in refused.items())
