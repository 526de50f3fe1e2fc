"""The settings registry and the runtime settings every component reads at use time.

Each setting is declared once, below or (a provider's) in its adapter module, as a SettingSpec:
name, type, environment default, validation, runtime or not, secret or not. The environment
(CONNECTOR_<NAME>, and a .env file) gives the values at start-up; a runtime setting changed
through PATCH /api/v1/connector (or the console) is stored and wins from then on, in every
process, within a second. Nothing keeps a copy made at start-up: components ask `current()`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, TypeAdapter, ValidationError, create_model, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.errors import InvalidInput
from domain.model import Policy
from domain.ports import Storage
from domain.settings import Secret, SettingSpec, email_address
from domain.ticket_threading import compile_ticket_pattern

MiB = 1024 * 1024
ACK_SUBJECT = "[Ticket #{number}] {subject}"
ACK_BODY = """Hello{name},

we have received your message and opened ticket {number} for it.

Subject: {subject}

To add to this ticket, reply to this email and keep "[Ticket #{number}]" in the subject.

This is an automatic message.
"""


def _pattern(value: str | None) -> None:
    if value:
        compile_ticket_pattern(value)


def _template(value: str) -> None:
    try:
        value.format(name="", number="0000001", subject="")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"the template has an unknown placeholder or a stray brace: {exc}; "
                         "use {number}, {subject} and {name}") from None


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
    _s("inline_worker", bool, True, "process mail inside the web process"),
    _s("migrate_on_start", bool, True, "apply database migrations at start-up"),
    _s("batch_size", int, 32, "messages a worker claims at once", minimum=1, maximum=500),
    _s("lease_seconds", float, 300.0, "a claim returns to the queue after this long", minimum=0.001),
    _s("max_processing_attempts", int, 3, "interrupted this often: failed", minimum=1),
    _s("poll_seconds", float, 0.5, "how often an idle worker looks for work", minimum=0.001),
    _s("outbox_max_attempts", int, 8, "SMTP delivery tries", minimum=1),
    _s("outbox_retry_base_seconds", float, 30.0, "the first SMTP retry backoff", minimum=0),
    _s("log_level", str, "INFO", "logging level"),
    _s("log_format", Literal["json", "text"], "json", "log line format"),
    _s("reader_processes", int, 1, "parse in a child process (1) or in the worker (0)",
       minimum=0, maximum=64),
    _s("message_time_limit_seconds", float, 60.0, "parsing time limit per message",
       minimum=0.001),
    _s("worker_metrics_port", int | None, None, "the worker serves /metrics on this port"),
    # outgoing mail server
    _s("smtp_host", str, "localhost", "outgoing mail server", "outgoing", runtime=True),
    _s("smtp_port", int, 25, "its port", "outgoing", runtime=True, minimum=1, maximum=65535),
    _s("smtp_security", Literal["none", "starttls", "tls"], "none", "connection security",
       "outgoing", runtime=True),
    _s("smtp_username", str | None, None, "SMTP user", "outgoing", runtime=True),
    _s("smtp_password", str | None, None, "SMTP password", "outgoing", runtime=True, secret=True),
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
       "({number}, {subject}, {name})", "processing", runtime=True, check=_template),
    _s("acknowledgement_body", str, ACK_BODY, "acknowledgement body template", "processing",
       runtime=True, check=_template),
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
    # internal support team and addresses
    _s("public_address", str, "support@example.com", "the public support address", "team",
       runtime=True, check=email_address),
    _s("support_team_address", str, "support-team@example.com", "forwards go here", "team",
       runtime=True, check=email_address),
    _s("from_address", str | None, None, "From of outgoing mail (default: the public address)",
       "team", runtime=True, check=email_address),
    _s("from_name", str, "Email Connector", "the display name of outgoing mail", "team",
       runtime=True),
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


def _field(spec: SettingSpec) -> tuple[Any, Any]:
    annotation = spec.annotation
    if spec.secret:
        annotation = SecretStr | None
    limits = {k: v for k, v in (("ge", spec.minimum), ("le", spec.maximum)) if v is not None}
    return annotation, Field(default=spec.default, description=spec.doc, **limits)


def settings_model(specs: Sequence[SettingSpec]) -> type[BaseSettings]:
    """The start-up settings from the environment (CONNECTOR_ prefix, .env), validated."""

    def check(self: Any) -> Any:
        for spec in specs:
            value = getattr(self, spec.name)
            if spec.check is not None and value is not None and not spec.secret:
                spec.check(value.strip() if isinstance(value, str) else value)
        found = problems(self.__dict__)
        if found:
            raise ValueError("; ".join(found))
        return self

    return create_model(  # type: ignore[call-overload,no-any-return]
        "Settings", __base__=_EnvironmentSettings,
        __validators__={"_check": model_validator(mode="after")(check)},
        **{spec.name: _field(spec) for spec in specs},
    )


class _EnvironmentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONNECTOR_", env_file=".env",
                                      env_ignore_empty=True, extra="ignore")


class Values:
    """A snapshot of every setting's value, by attribute (secrets as Secret strings)."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    @property
    def effective_from_address(self) -> str:
        return str(self._values.get("from_address") or self._values["public_address"])

    @property
    def message_id_domain(self) -> str:
        return self.effective_from_address.rpartition("@")[2] or "localhost"


def startup_values(settings: BaseSettings, specs: Iterable[SettingSpec]) -> dict[str, Any]:
    values = {}
    for spec in specs:
        value = getattr(settings, spec.name)
        if isinstance(value, SecretStr):
            value = Secret(value.get_secret_value())
        values[spec.name] = value
    return values


class RuntimeSettings:
    """The current values: the environment's, with the stored runtime changes on top."""

    def __init__(self, specs: Sequence[SettingSpec], startup: dict[str, Any], storage: Storage,
                 *, refresh_seconds: float = 1.0) -> None:
        self.specs = {spec.name: spec for spec in specs}
        self._startup = startup
        self._storage = storage
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._current: Values | None = None
        self._loaded_at = 0.0
        self._adapters = {s.name: TypeAdapter(_field(s)[0]) for s in specs if s.runtime}
        self._patterns: dict[str | None, re.Pattern[str]] = {}

    def current(self, *, max_age: float | None = None) -> Values:
        """The values, re-read from the database when older than `max_age` seconds (default:
        once a second, for the request paths). Other processes change them too: the worker
        loops ask for fresh values (max_age=0) at each batch, so a change is used at once."""
        limit = self._refresh_seconds if max_age is None else max_age
        with self._lock:
            if self._current is None or time.monotonic() - self._loaded_at >= limit:
                with self._storage.reading() as uow:
                    stored = uow.settings.load()
                values = dict(self._startup)
                for name, value in stored.items():
                    spec = self.specs.get(name)
                    if spec is not None and spec.runtime and (value is not None or spec.secret):
                        values[name] = Secret(value) if spec.secret and value else value
                self._current = Values(values)
                self._loaded_at = time.monotonic()
            return self._current

    def update(self, changes: dict[str, Any]) -> Values:
        """Validate and store runtime changes; a secret set to None (or "") is cleared."""
        unknown = sorted(n for n in changes if n not in self._adapters)
        if unknown:
            raise InvalidInput(f"not changeable at runtime: {', '.join(unknown)}")
        parsed: dict[str, Any] = {}
        for name, value in changes.items():
            spec = self.specs[name]
            if value is None and not (spec.secret or spec.default is None):
                raise InvalidInput(f"{name} cannot be null")
            try:
                value = self._adapters[name].validate_python(value)
            except ValidationError as exc:
                raise InvalidInput(f"{name}: {exc.errors()[0]['msg']}") from None
            if isinstance(value, SecretStr):
                value = value.get_secret_value() or None
            if isinstance(value, str) and not spec.secret:
                value = value.strip()
            if spec.minimum is not None and value is not None and value < spec.minimum:
                raise InvalidInput(f"{name} must be {spec.minimum:g} or more")
            if spec.maximum is not None and value is not None and value > spec.maximum:
                raise InvalidInput(f"{name} must be {spec.maximum:g} or less")
            if spec.check is not None and value is not None and not spec.secret:
                try:
                    spec.check(value)
                except ValueError as exc:
                    raise InvalidInput(f"{name}: {exc}") from None
            parsed[name] = value
        merged = {**self.current().as_dict(), **parsed}
        found = problems(merged)
        if found:
            raise InvalidInput("; ".join(found))
        with self._storage.writing() as uow:
            uow.settings.save(parsed)
        with self._lock:
            self._current = None  # the next read sees the change at once
        return self.current()

    def policy(self, values: Values, now: Any) -> Policy:
        return Policy(
            public_address=values.public_address,
            support_team_address=values.support_team_address,
            from_address=values.effective_from_address,
            ticket_pattern=self.ticket_pattern(values),
            acknowledge_new_tickets=values.acknowledge_new_tickets,
            acknowledgements_per_hour=values.acknowledgements_per_hour,
            forwards_per_sender_per_hour=values.forwards_per_sender_per_hour,
            now=now,
        )

    def ticket_pattern(self, values: Values) -> re.Pattern[str]:
        source = values.ticket_subject_pattern
        if source not in self._patterns:
            self._patterns[source] = compile_ticket_pattern(source)
        return self._patterns[source]
