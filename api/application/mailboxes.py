"""The polled mailboxes' settings (SPEC §3, CONNECTOR_IMAP_* and CONNECTOR_POP3_*) and the
MailboxServers each cycle of a poller builds from the current values.

Runtime settings: a poller reads `current()` at every cycle, so a changed password or folder is
used from the next cycle on, without a restart (the connection is opened again). More mailboxes
than the first come from the TOML or JSON file CONNECTOR_MAILBOXES_FILE names, each entry with
the keys of its protocol's settings (README "Polled mailboxes"); the file is read again when it
changes.
"""

from __future__ import annotations

import json
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from api.application.runtime_settings import Values
from domain.messages import MailboxServer, OAuth2Grant
from domain.settings import SettingSpec

Security = Literal["tls", "starttls", "none"]
Auth = Literal["password", "oauth2"]
Flow = Literal["microsoft_app", "microsoft_refresh_token", "google_refresh_token",
               "google_service_account", "refresh_token"]
PROTOCOLS = ("imap", "pop3")


def _s(name: str, annotation: Any, default: Any, doc: str, **kw: Any) -> SettingSpec:
    return SettingSpec(name, annotation, default, doc, "incoming", runtime=True, **kw)


def _oauth2_settings(p: str) -> tuple[SettingSpec, ...]:
    """The same OAuth2 (XOAUTH2) settings for either protocol's first mailbox."""
    return (
        _s(f"{p}_auth", Auth, "password",
           "how to log in: password, or oauth2 (XOAUTH2 with the oauth2 settings below)"),
        _s(f"{p}_oauth2_flow", Flow | None, None,
           "oauth2: microsoft_app (Microsoft 365 client credentials), microsoft_refresh_token, "
           "google_refresh_token, google_service_account, or refresh_token (any token URL)"),
        _s(f"{p}_oauth2_client_id", str | None, None, "oauth2: the application (client) ID"),
        _s(f"{p}_oauth2_client_secret", str | None, None, "oauth2: the client secret",
           secret=True),
        _s(f"{p}_oauth2_refresh_token", str | None, None,
           "oauth2: the refresh token (the *_refresh_token flows)", secret=True),
        _s(f"{p}_oauth2_tenant", str | None, None,
           "oauth2, Microsoft 365: the directory (tenant) ID or a verified domain"),
        _s(f"{p}_oauth2_token_url", str | None, None,
           "oauth2: the token endpoint (refresh_token: required; Google: default "
           "https://oauth2.googleapis.com/token); for Microsoft the authority host "
           "(default https://login.microsoftonline.com)"),
        _s(f"{p}_oauth2_scope", str | None, None,
           "oauth2: the scope (default https://outlook.office365.com/.default for Microsoft, "
           "https://mail.google.com/ for Google, none for refresh_token)"),
        _s(f"{p}_oauth2_service_account_file", str | None, None,
           "oauth2, google_service_account: the key file (JSON); it acts as the mailbox user "
           "through domain-wide delegation"),
    )


_PER_PROTOCOL: tuple[SettingSpec, ...] = (
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
    *_oauth2_settings("imap"),
    _s("pop3_host", str | None, None, "POP3 server (unset: no POP3 poller)"),
    _s("pop3_port", int, 995, "its port", minimum=1, maximum=65535),
    _s("pop3_security", Security, "tls", "connection security: tls, starttls or none"),
    _s("pop3_username", str | None, None, "POP3 user"),
    _s("pop3_password", str | None, None, "POP3 password", secret=True),
    _s("pop3_poll_seconds", float, 60.0, "how often the mailbox is looked at", minimum=1,
       maximum=86400),
    _s("pop3_delete", bool, False, "delete mail from the server once it is stored"),
    *_oauth2_settings("pop3"),
)
_BY_NAME = {spec.name: spec for spec in _PER_PROTOCOL}


def build_server(protocol: str, get: Callable[[str], Any],
                 name: str | None = None) -> MailboxServer | None:
    """A mailbox from its values (`get("host")` is CONNECTOR_<PROTOCOL>_HOST's or a file
    entry's "host"), or None when it has no host."""
    host = get("host")
    if not host:
        return None
    username = get("username") or None
    grant = None
    if get("auth") == "oauth2":
        grant = OAuth2Grant(
            flow=get("oauth2_flow"), client_id=get("oauth2_client_id") or None,
            client_secret=get("oauth2_client_secret") or None,
            refresh_token=get("oauth2_refresh_token") or None,
            tenant=get("oauth2_tenant") or None, token_url=get("oauth2_token_url") or None,
            scope=get("oauth2_scope") or None,
            service_account_file=get("oauth2_service_account_file") or None, subject=username)
    imap = protocol == "imap"
    return MailboxServer(
        name=name or username or host, host=host, port=get("port"), security=get("security"),
        username=username, password=get("password") or None,
        folder=get("folder") if imap else "", protocol=protocol,
        processed_folder=(get("processed_folder") or None) if imap else None,
        delete=False if imap else bool(get("delete")), poll_seconds=float(get("poll_seconds")),
        oauth2=grant)


def first_server(values: Values, protocol: str) -> MailboxServer | None:
    """The mailbox of the CONNECTOR_<PROTOCOL>_* settings, or None when there is none."""
    return build_server(protocol, lambda key: getattr(values, f"{protocol}_{key}"))


def imap_server(values: Values) -> MailboxServer | None:
    return first_server(values, "imap")


def pop3_server(values: Values) -> MailboxServer | None:
    return first_server(values, "pop3")


def mailbox_servers(values: Values, protocol: str) -> list[MailboxServer]:
    """Every configured mailbox of the protocol: the settings' first, then the file's
    (ValueError, saying what is wrong, when the file is not right)."""
    first = first_server(values, protocol)
    servers = [first] if first is not None else []
    for server in file_servers(values.mailboxes_file, protocol):
        if any(other.name == server.name for other in servers):
            raise ValueError(f"CONNECTOR_MAILBOXES_FILE: the {protocol} mailbox of the "
                             f"settings is named {server.name!r} too: give the file's a "
                             "\"name\"")
        servers.append(server)
    return servers


_loaded: dict[str, tuple[tuple[int, int], list[MailboxServer]]] = {}
_loaded_lock = threading.Lock()


def file_servers(path: Path | str | None, protocol: str) -> list[MailboxServer]:
    """The file's mailboxes of the protocol, parsed again only when the file changed."""
    if not path:
        return []
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise ValueError(f"CONNECTOR_MAILBOXES_FILE {path}: {exc.strerror}") from None
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _loaded_lock:
        cached = _loaded.get(str(path))
        if cached is None or cached[0] != stamp:
            cached = _loaded[str(path)] = (stamp, read_mailboxes_file(path))
    return [server for server in cached[1] if server.protocol == protocol]


def read_mailboxes_file(path: Path) -> list[MailboxServer]:
    """`[[mailbox]]` tables of a .toml file, or a JSON list (or {"mailbox": [...]})."""
    try:
        text = path.read_text(encoding="utf-8")
        document = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise ValueError(f"CONNECTOR_MAILBOXES_FILE {path}: {exc}") from None
    entries = document.get("mailbox", []) if isinstance(document, dict) else document
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f"CONNECTOR_MAILBOXES_FILE {path}: expected a list of mailboxes")
    servers = [_entry_server(entry, f"CONNECTOR_MAILBOXES_FILE {path} mailbox {number}")
               for number, entry in enumerate(entries, start=1)]
    names = [(server.protocol, server.name) for server in servers]
    for protocol, name in {key for key in names if names.count(key) > 1}:
        raise ValueError(f"CONNECTOR_MAILBOXES_FILE {path}: two {protocol} mailboxes are "
                         f"named {name!r}: give one of them a \"name\"")
    return servers


def _entry_server(entry: dict[str, Any], where: str) -> MailboxServer:
    protocol = entry.get("protocol", "imap")
    if protocol not in PROTOCOLS:
        raise ValueError(f"{where}: protocol must be imap or pop3, not {protocol!r}")
    values: dict[str, Any] = {}
    for key, value in entry.items():
        if key in ("protocol", "name"):
            continue
        spec = _BY_NAME.get(f"{protocol}_{key}")
        if spec is None:
            raise ValueError(f"{where}: unknown key {key!r} for {protocol}")
        try:
            value = TypeAdapter(spec.annotation).validate_python(value)
        except ValidationError as exc:
            raise ValueError(f"{where}: {key}: {exc.errors()[0]['msg']}") from None
        if (spec.minimum is not None and value < spec.minimum) or (
                spec.maximum is not None and value > spec.maximum):
            raise ValueError(f"{where}: {key} must be between {spec.minimum:g} and "
                             f"{spec.maximum:g}")
        values[key] = value

    def get(key: str) -> Any:
        return values.get(key, _BY_NAME[f"{protocol}_{key}"].default)

    server = build_server(protocol, get, name=str(entry["name"]) if entry.get("name") else None)
    if server is None:
        raise ValueError(f"{where}: no host")
    return server


def check_mailboxes_file(path: Any) -> None:
    """The setting's start-up check: a file that cannot be read stops the start."""
    if path:
        read_mailboxes_file(Path(path))


MAILBOX_SETTINGS: tuple[SettingSpec, ...] = (
    *_PER_PROTOCOL,
    SettingSpec("mailboxes_file", Path | None, None,
                "a TOML or JSON file listing more IMAP and POP3 mailboxes (README \"Polled "
                "mailboxes\")", "incoming", check=check_mailboxes_file),
    SettingSpec("inline_pollers", bool, True,
                "poll the configured mailboxes inside the web process (false: run the imap "
                "and pop3 processes instead)", "incoming"),
)


def envelope_address(server: MailboxServer, values: Values) -> str:
    """The recipient a polled message was delivered to: the mailbox's own address when its
    user name is one, else the public support address (the dedupe keys count per recipient)."""
    if server.username and "@" in server.username:
        return server.username.lower()
    return str(values.public_address).lower()
