"""Shared pieces of the request and response models: errors, pages, validators, bases."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Literal, Self, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from domain.addresses import address_key
from domain.model import MAX_ID
from domain.model import TicketStatus as _TicketStatus

__all__ = ["MAX_ID", "TicketStatus"]  # used by the schemas and the routes' parameters
# The domain's statuses, as the literal strings the API documents.
TicketStatus = Literal[tuple(s.value for s in _TicketStatus)]  # type: ignore[valid-type]
T = TypeVar("T")
WHEN = "2026-12-02T09:30:00Z"  # the examples' moment


def example(value: dict[str, Any], **config: Any) -> ConfigDict:
    """A model's config with its example (OpenAPI: the schema's `examples`, which
    api/http/documentation.py also shows on each operation that takes or answers it)."""
    return ConfigDict(json_schema_extra={"examples": [value]}, **config)  # type: ignore[typeddict-item]


class ValidationIssue(BaseModel):
    """One invalid part of a request, as FastAPI's request validation reports it."""

    model_config = ConfigDict(extra="allow")  # `input` and `ctx` vary by error type
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """Every error answer (RFC 9457, `application/problem+json`): `detail` says what went wrong
    for people, `code` names it for programs and stays the same from release to release."""

    type: str = "about:blank"  # RFC 9457 §4.2.1: the status's meaning is the problem's
    title: str  # the status's reason phrase
    status: int
    detail: str
    code: str  # the error's kind: not_found, conflict, invalid_input, request_invalid, ...
    errors: list[ValidationIssue] | None = None  # request_invalid only: each invalid field

    model_config = example({"type": "about:blank", "title": "Not Found", "status": 404,
                            "detail": "ticket 0000123 not found", "code": "not_found"})


ErrorBody = ValidationErrorBody = Problem  # the names the routes' `responses` use


def _page_example(schema: dict[str, Any], cls: type[BaseModel]) -> None:
    """A page's example: one item, its model's example (Page[T] itself has none)."""
    (item,) = get_args(cls.model_fields["items"].annotation) or (None,)
    extra = getattr(item, "model_config", {}).get("json_schema_extra")
    if isinstance(extra, dict) and extra.get("examples"):
        schema["examples"] = [{"items": [extra["examples"][0]], "total": 1}]


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(json_schema_extra=_page_example)
    items: list[T]
    total: int


def _address_or_domain(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    if address_key(value) is None or ("@" not in value and "." not in value):
        raise ValueError("must be an email address or a bare domain such as acme.com")
    return value.strip()


def _address(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    key = address_key(value)
    if key is None or "@" not in key:
        raise ValueError("must be an email address")
    return value.strip()


def _required_address(value: str) -> str:
    """An address that must be there: blank is refused here (422) rather than reaching the
    database's NOT NULL or the mailer as None (a 500 before)."""
    if value.strip() == "":
        raise ValueError("must be an email address")
    return _address(value)  # type: ignore[return-value]


class _Strict(BaseModel):
    # strict: a JSON value of the documented type only (0 is no `false`, "2" no 2), as the
    # schema says; schemathesis sends the others and expects a 422.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL text cannot hold NUL: refused here (422), not at the database (a 500).
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("must not contain NUL characters")
        return value


class _Patch(_Strict):
    """A partial update: fields left out are unchanged; these may not be set to null."""

    _not_null: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _required_stay_set(self) -> Self:
        nulled = [n for n in self._not_null if n in self.model_fields_set and getattr(self, n) is None]
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be null")
        return self
