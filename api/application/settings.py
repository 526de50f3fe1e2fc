"""The settings registry: each setting declared once, with the rules between settings.

Each setting is a SettingSpec, below or (a provider's) in its adapter module: name, type,
environment default, validation, runtime or not, secret or not. Their values are read through
api/application/runtime_settings.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from domain.settings import SettingSpec, email_address
from domain.ticket_threading import compile_ticket_pattern

MiB = 1024 * 1024
ACK_SUBJECT = "[Ticket #{number}] {subject}"
ACK_BODY = """Hello{name},

We have received your message "{subject}" and opened ticket {number} for it. Our team will get back to you as soon as possible.

To add anything to this ticket, reply to this email and keep "[Ticket #{number}]" in the subject.

{team}
(This message was sent automatically.)
"""
# One line per paragraph: the reader's mail client wraps it (a quoted subject varies in length).
ACK_PLACEHOLDERS = {"name": "", "number": "0000001", "subject": "", "team": ""}


def _pattern(value: str | None) -> None:
    if value:
        compile_ticket_pattern(value)


def _template(value: str) -> None:
    try:
        value.format(**ACK_PLACEHOLDERS)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise ValueError(f"the template has an unknown placeholder or a stray brace: {exc}; "
                         "use {number}, {subject}, {name} and {team}") from None


def _tag(value: str) -> None:
    try:
        value.format(number="0000001")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"the tag has an unknown placeholder or a stray brace: {exc}; "
                         "use {number}") from None


def _s(name: str, annotation: Any, default: Any, doc: str, group: str = "service", **kw: Any
       ) -> SettingSpec:
    return SettingSpec(name, annotation, default, doc, group, **kw)


CORE: tuple[SettingSpec, ...] = (
    # running the service (start-up only)
    _s("database_url", str, "sqlite:///./var/connector.db", "SQLAlchemy URL: SQLite or PostgreSQL"),
    _s("data_dir", Path, Path("./var"), "where generated credentials live"),
    _s("backup_dir", Path | None, None, "a copy of every accepted raw message as .eml, when set"),
    _s("api_keys", str | None, None, "comma-separated REST API keys (Bearer)", secret=True),
    _s("inbound_username", str | None, None, "HTTP Basic user of the inbound endpoints"),
    _s("inbound_password", str | None, None, "HTTP Basic password of the inbound endpoints",
       secret=True),
    _s("metrics_token", str | None, None, "a Bearer token for /metrics only (API keys work too)",
       secret=True),
    _s("inline_worker", bool, True, "process mail inside the web process"),
    _s("inline_worker_process", bool, True, "the inline worker runs in a child process "
       "of the web process (its own GIL; false: threads of the web process)"),
    _s("migrate_on_start", bool, True, "apply database migrations at start-up"),
    _s("batch_size", int, 32, "messages a worker claims at once", minimum=1, maximum=500),
    _s("lease_seconds", float, 300.0, "a claim returns to the queue after this long", minimum=0.001),
    _s("max_processing_attempts", int, 3, "interrupted this often: failed", minimum=1),
    _s("poll_seconds", float, 0.5, "how often an idle worker looks for work", minimum=0.001),
    _s("outbox_max_attempts", int, 8, "SMTP delivery tries", minimum=1),
    _s("outbox_retry_base_seconds", float, 30.0, "the first SMTP retry backoff", minimum=0),
    _s("log_level", str, "INFO", "logging level"),
    _s("log_format", Literal["json", "text"], "json", "log line format"),
    _s("reader_processes", int, 2, "child processes that parse, each a share of a batch "
       "(0: in the worker)", minimum=0, maximum=64),
    _s("message_time_limit_seconds", float, 60.0, "parsing time limit per message",
       minimum=0.001),
    _s("worker_metrics_port", int | None, None, "the worker serves /metrics on this port"),
    # the admin console (/admin): unset password: generated on first start, printed once, and
    # only its hash kept in the data directory (api/application/admin.py)
    _s("admin_username", str, "admin", "user name of the admin console"),
    _s("admin_password", str | None, None, "password of the admin console", secret=True),
    _s("admin_session_key", str | None, None, "signs the console's session cookies; set the "
       "same on every web process (unset: generated into the data directory)", secret=True),
    # outgoing mail server
    _s("smtp_host", str, "localhost", "outgoing mail server", "outgoing", runtime=True),
    _s("smtp_port", int, 25, "its port", "outgoing", runtime=True, minimum=1, maximum=65535),
    _s("smtp_security", Literal["none", "starttls", "tls"], "none", "connection security",
       "outgoing", runtime=True),
    _s("smtp_username", str | None, None, "SMTP user", "outgoing", runtime=True),
    _s("smtp_password", str | None, None, "SMTP password", "outgoing", runtime=True, secret=True),
    # Exchange Online's SMTP submission takes at most 3 connections per mailbox at once (432
    # 4.3.2 beyond that: Microsoft's "concurrent connection throttling" page): 3 by default.
    _s("smtp_connections", int, 3, "SMTP connections the outbox uses side by side (one mail "
       "each; their hand-overs share one commit)", "outgoing", runtime=True, minimum=1,
       maximum=16),
    _s("smtp_timeout_seconds", float, 30.0, "SMTP timeout", "outgoing", runtime=True,
       minimum=0.1, maximum=600),
    # incoming mail
    _s("max_message_bytes", int, 40 * MiB, "largest accepted message (413 above)", "incoming",
       runtime=True, minimum=1, maximum=1024 * MiB),
    # The largest webhook request body: above the largest message, because providers that post
    # JSON carry attachments in base64 (+33%) and Postmark may send them twice (RawEmail too).
    _s("inbound_max_request_bytes", int, 120 * MiB, "largest webhook request body", "incoming",
       runtime=True, minimum=1, maximum=2048 * MiB),
    # processing
    _s("status", Literal["on", "off"], "on", "processing on or off", "processing", runtime=True),
    _s("acknowledge_new_tickets", bool, True, "acknowledge new tickets", "processing",
       runtime=True),
    _s("acknowledgements_per_hour", int, 5, "acknowledgements per sender and hour", "processing",
       runtime=True, minimum=0, maximum=1_000_000),
    _s("forwards_per_sender_per_hour", int, 30, "forwards of one sender's mail per hour",
       "processing", runtime=True, minimum=0, maximum=1_000_000),
    _s("undeliverable_days", int, 30, "no automatic mail to a hard-bounced address this long",
       "processing", runtime=True, minimum=0, maximum=3650),
    _s("ticket_subject_pattern", str | None, None, "regex with one group for the ticket number",
       "processing", runtime=True, check=_pattern),
    _s("acknowledgement_subject", str, ACK_SUBJECT, "acknowledgement subject template "
       "({number}, {subject}, {name}, {team})", "processing", runtime=True, check=_template),
    _s("acknowledgement_body", str, ACK_BODY, "acknowledgement body template (plain text)",
       "processing", runtime=True, check=_template),
    _s("acknowledgement_html_body", str | None, None, "an HTML alternative of the "
       "acknowledgement body (same placeholders, HTML-escaped); unset: plain text only",
       "processing", runtime=True, check=_template),
    # The signed reply reference (domain/reply_reference.py) in acknowledgements and forwards.
    _s("reply_reference_key", str | None, None, "key of the signed reply reference; unset: "
       "generated once in the data directory", secret=True),
    _s("reply_subaddress", bool, False, "acknowledgements' Reply-To is the public address with "
       "the reference as a sub-address (support+t123-...@); only where that address is "
       "delivered (the mail server or provider accepts +tags)", "processing", runtime=True),
    _s("xml_api_enabled", bool, False, "the XML API (by email and over HTTP)", "processing",
       runtime=True),
    _s("xml_api_password", str | None, None, "the XML API password", "processing", runtime=True,
       secret=True),
    _s("xml_api_response_bcc", str | None, None, "a Bcc of every authenticated XML response",
       "processing", runtime=True, check=email_address),
    # A transaction without the right password could come from anyone: its response goes at
    # most to the message's own sender, once, cut down (docs/xml-api.md), or nowhere.
    _s("xml_api_unauthenticated_responses", Literal["sender", "none"], "sender",
       "where a response to a transaction without the right password goes", "processing",
       runtime=True),
    # An active employee's reply whose sender fails DMARC (or both SPF and DKIM) in the
    # receiving side's Authentication-Results is filed as a customer's and forwarded.
    _s("distrust_failed_employee_auth", bool, True, "check employee replies' authentication "
       "verdicts (Authentication-Results)", "processing", runtime=True),
    _s("trusted_authserv_ids", str | None, None, "authserv-ids whose Authentication-Results "
       "(or ARC-Authentication-Results) are believed, comma-separated; unset: the topmost "
       "Authentication-Results header", "processing", runtime=True),
    # internal support team and addresses
    _s("public_address", str, "support@example.com", "the public support address", "team",
       runtime=True, check=email_address),
    _s("support_team_address", str, "support-team@example.com", "forwards go here", "team",
       runtime=True, check=email_address),
    _s("from_address", str | None, None, "From of outgoing mail (default: the public address)",
       "team", runtime=True, check=email_address),
    _s("from_name", str, "Email Connector", "the display name of outgoing mail", "team",
       runtime=True),
    # Forwards: the subject tag says what happened ("" for none); From reads "Bob via <from_name>".
    _s("forward_tag_unrecognized", str, "[Unrecognized]", "subject tag of forwards from unknown "
       "senders", "team", runtime=True, check=_tag),
    _s("forward_tag_reply", str, "[Reply #{number}]", "subject tag of forwarded customer replies "
       "({number})", "team", runtime=True, check=_tag),
    _s("forward_tag_error", str, "[Error]", "subject tag of forwards a person must decide",
       "team", runtime=True, check=_tag),
    # None by default: skipped alerts keep their subject, which the team's mail filters know.
    _s("forward_tag_automated", str, "", "subject tag of automated mail forwarded by a skip "
       "rule (none by default)", "team", runtime=True, check=_tag),
)


def problems(values: dict[str, Any]) -> list[str]:
    """What is wrong with a whole set of values (rules between settings)."""
    found = []
    public = str(values.get("public_address") or "").lower()
    if public and public == str(values.get("support_team_address") or "").lower():
        found.append("the support team address must differ from the public address "
                     "(forwards would come back as new mail)")
    # RangerMSP: "DO NOT send these automatic emails to the Email Connector Incoming Email
    # Address": a Bcc to ourselves would be processed as new mail, a loop.
    if public and public == str(values.get("xml_api_response_bcc") or "").lower():
        found.append("the XML response Bcc must not be the public address")
    return found


def warnings(values: dict[str, Any]) -> list[str]:
    """What is set but not ready for real mail: placeholders, an XML API anyone could use."""
    found = []
    for name in ("public_address", "support_team_address", "from_address"):
        domain = str(values.get(name) or "").rpartition("@")[2].lower()
        if domain == "example.com" or domain.endswith((".example", ".example.com", ".invalid")):
            found.append(f"{name} is a placeholder ({values[name]}): set CONNECTOR_{name.upper()}")
    if values.get("xml_api_enabled") and not values.get("xml_api_password"):
        found.append("the XML API is on without a password (CONNECTOR_XML_API_PASSWORD): anyone "
                     "who can mail the public address can write records")
    return found


