"""The polled mailboxes' settings (SPEC §3, CONNECTOR_IMAP_* and CONNECTOR_POP3_*) and the
MailboxServer each cycle of a poller builds from the current values.

Runtime settings: a poller reads `current()` at every cycle, so a changed password or folder is
used from the next cycle on, without a restart (the connection is opened again).
"""

from __future__ import annotations

from typing import Any, Literal

from api.application.runtime_settings import Values
from domain.messages import MailboxServer
from domain.settings import SettingSpec

Security = Literal["tls", "starttls", "none"]


def _s(name: str, annotation: Any, default: Any, doc: str, **kw: Any) -> SettingSpec:
    return SettingSpec(name, annotation, default, doc, "incoming", runtime=True, **kw)


MAILBOX_SETTINGS: tuple[SettingSpec, ...] = (
    _s("imap_host", str | None, None, "IMAP server of the polled mailbox (unset: no IMAP poller)"),
    _s("imap_port", int, 993, "its port", minimum=1, maximum=65535),
    _s("imap_security", Security, "tls", "connection security: tls, starttls or none"),
    _s("imap_username", str | None, None, "IMAP user (the mailbox address when it has an @)"),
    _s("imap_password", str | None, None, "IMAP password", secret=True),
    _s("imap_folder", str, "INBOX", "the folder mail is taken from"),
    _s("imap_processed_folder", str | None, None,
       "taken mail is moved here (unset: flagged \\Seen and $EmailConnectorTaken instead)"),
    _s("imap_poll_seconds", float, 30.0, "how often the mailbox is looked at (IDLE wakes sooner)",
       minimum=1, maximum=1740),  # RFC 2177 §3: IDLE is re-issued at least every 29 minutes
    _s("pop3_host", str | None, None, "POP3 server (unset: no POP3 poller)"),
    _s("pop3_port", int, 995, "its port", minimum=1, maximum=65535),
    _s("pop3_security", Security, "tls", "connection security: tls, starttls or none"),
    _s("pop3_username", str | None, None, "POP3 user"),
    _s("pop3_password", str | None, None, "POP3 password", secret=True),
    _s("pop3_poll_seconds", float, 60.0, "how often the mailbox is looked at", minimum=1,
       maximum=86400),
    _s("pop3_delete", bool, False, "delete mail from the server once it is stored"),
)


def imap_server(values: Values) -> MailboxServer | None:
    """The configured IMAP mailbox, or None when there is none."""
    host = values.imap_host
    if not host:
        return None
    username = values.imap_username or None
    return MailboxServer(
        name=username or host, host=host, port=values.imap_port, security=values.imap_security,
        username=username, password=values.imap_password or None, folder=values.imap_folder,
        processed_folder=values.imap_processed_folder or None)


def envelope_address(server: MailboxServer, values: Values) -> str:
    """The recipient a polled message was delivered to: the mailbox's own address when its
    user name is one, else the public support address (the dedupe keys count per recipient)."""
    if server.username and "@" in server.username:
        return server.username.lower()
    return str(values.public_address).lower()


def pop3_server(values: Values) -> MailboxServer | None:
    """The configured POP3 maildrop, or None when there is none."""
    host = values.pop3_host
    if not host:
        return None
    username = values.pop3_username or None
    return MailboxServer(
        name=username or host, host=host, port=values.pop3_port, security=values.pop3_security,
        username=username, password=values.pop3_password or None, folder="", protocol="pop3",
        delete=values.pop3_delete)
