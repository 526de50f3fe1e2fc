"""The runtime settings every component reads at use time, from the registry's declarations.

The environment (CONNECTOR_<NAME>, and a .env file) gives the values at start-up; a runtime
setting changed through PATCH /api/v1/connector (or the console) is stored and wins from then
on, in every process. Nothing keeps a copy made at start-up: components ask `current()`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import Field, SecretStr, TypeAdapter, ValidationError, create_model, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.application.settings import problems
from domain.errors import InvalidInput
from domain.model import Policy
from domain.ports import Storage
from domain.settings import Secret, SettingSpec
from domain.ticket_threading import compile_ticket_pattern


def _field(spec: SettingSpec) -> tuple[Any, Any]:
    annotation = spec.annotation
    if spec.secret:
        annotation = SecretStr | None
    limits: dict[str, Any] = {k: v for k, v in (("ge", spec.minimum), ("le", spec.maximum))
                              if v is not None}
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
        self._stored: dict[str, Any] = {}
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
                if self._current is None or stored != self._stored:  # else: nothing changed
                    values = dict(self._startup)
                    for name, value in stored.items():
                        spec = self.specs.get(name)
                        if spec is not None and spec.runtime and (value is not None or spec.secret):
                            values[name] = Secret(value) if spec.secret and value else value
                    self._current = Values(values)
                    self._stored = stored
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
            distrust_failed_employee_auth=values.distrust_failed_employee_auth,
            trusted_authserv_ids=tuple(i.strip() for i in (values.trusted_authserv_ids or "")
                                       .split(",") if i.strip()),
            reply_reference_key=str(values.reply_reference_key or ""),
        )

    def ticket_pattern(self, values: Values) -> re.Pattern[str]:
        source = values.ticket_subject_pattern
        if source not in self._patterns:
            self._patterns[source] = compile_ticket_pattern(source)
        return self._patterns[source]
