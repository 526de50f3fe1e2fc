"""What every inbound adapter produces, whatever the provider, and the base they share.

Each provider module turns one webhook request into `InboundDelivery`s: the raw RFC 822 bytes
(received as such, or rebuilt from a parsed payload), the SMTP envelope, the provider's event id
(for duplicate detection) and its spam verdict. The shape follows django-anymail's webhook views
(style.md §4): one small class per provider on this base, no HTTP framework in sight, so the
parsing and the signature checks are tested as plain functions.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from domain.addresses import address_key
from domain.errors import MalformedPayload


@dataclass(frozen=True, slots=True)
class InboundDelivery:
    raw: bytes
    source: str
    envelope_from: str | None = None
    envelope_to: tuple[str, ...] = ()
    provider_event_id: str | None = None
    spam_score: float | None = None
    spam_verdict: str | None = None


# The spam verdicts recorded on inbound messages; None when the provider gives no yes/no answer.
SPAM = "spam"
NOT_SPAM = "not_spam"


@dataclass(frozen=True)
class WebhookRequest:
    """One HTTP request as a provider sent it: nothing decoded yet."""

    method: str
    url: str
    headers: Mapping[str, str]  # names in lower case
    body: bytes

    @classmethod
    def build(cls, method: str, url: str, headers: Iterable[tuple[str, str]],
              body: bytes) -> WebhookRequest:
        return cls(method.upper(), url, {k.lower(): v for k, v in headers}, body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def media_type(self) -> str:
        return self.content_type.split(";")[0].strip().lower()


@dataclass
class WebhookResult:
    """What a request carried: zero or more messages to store, and what else happened."""

    deliveries: list[InboundDelivery] = field(default_factory=list)
    note: str | None = None  # e.g. "subscription confirmed" when nothing is stored
    # Undoes side effects of accepting the request (Mailgun's replay token) when storing fails,
    # so that the provider's retry of the same signed request is not refused as a replay.
    on_store_failed: Callable[[], None] | None = None


P = TypeVar("P")


class InboundWebhook(ABC, Generic[P]):
    """One provider: decode the request, verify what signs it, hand over deliveries.

    HTTP Basic credentials are checked by the route (api.deps.require_inbound_basic) before the
    body is read; `verify` is for what only the payload can prove (signatures, tokens, topics).
    """

    provider: ClassVar[str]

    def receive(self, request: WebhookRequest) -> WebhookResult:
        payload = self.decode(request)
        self.verify(request, payload)
        return self.deliveries(request, payload)

    @abstractmethod
    def decode(self, request: WebhookRequest) -> P:
        """The request body as this provider's payload; MalformedPayload when it is not."""

    def verify(self, request: WebhookRequest, payload: P) -> None:  # noqa: B027
        """Raise Unauthorized/Forbidden unless the payload is proven to come from the provider."""

    @abstractmethod
    def deliveries(self, request: WebhookRequest, payload: P) -> WebhookResult:
        """The messages the payload carries."""


# --- helpers shared by the providers -------------------------------------------------------------

def load_json(data: bytes | str, what: str) -> Any:
    try:
        return json.loads(data)
    except RecursionError:  # [[[[...]]]] nested deeper than the interpreter's recursion limit
        raise MalformedPayload(f"{what} is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedPayload(f"{what} is not valid JSON: {exc}") from None


def ascii_digits(value: str, *, max_length: int = 18) -> bool:
    """True for 1..max_length ASCII digits only. str.isdigit() is true for "²" and "٣" too,
    and int() fails on the first (a 500) and reads the second."""
    return 0 < len(value) <= max_length and value.isascii() and value.isdecimal()


# An id a provider gave us, to be put into an API URL path: nothing but these characters, and
# never a dot segment ("." or ".."), so that it can only name one resource under that path.
_SAFE_ID = re.compile(r"[A-Za-z0-9_~+=.-]{1,512}")


def safe_id(value: object, what: str) -> str:
    """`value` when it is a safe path segment; MalformedPayload otherwise."""
    if not isinstance(value, str) or not _SAFE_ID.fullmatch(value) or not value.strip("."):
        raise MalformedPayload(f"{what} is missing or not a plain id")
    return value


def text_bytes(value: str) -> bytes:
    """A raw message carried in a JSON string, back to bytes.

    JSON cannot carry arbitrary bytes: providers send UTF-8, and some escape undecodable bytes
    as lone surrogates (U+DC80..U+DCFF, Python's surrogateescape), which map back to the bytes.
    """
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return value.encode("utf-8", "replace")


def envelope_sender(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value in ("", "<>"):
        return ""  # the null reverse-path of bounces and auto-replies (RFC 5321 §4.5.5)
    return address_key(value) or value[:320]


def envelope_recipients(values: Iterable[str | None]) -> tuple[str, ...]:
    keys: list[str] = []
    for value in values:
        for part in (value or "").split(","):
            key = address_key(_angle_addr(part))
            if key and key not in keys:
                keys.append(key)
    return tuple(keys)


def _angle_addr(value: str) -> str:
    # "Name <a@b>" -> "a@b"; a bare address stays as it is.
    if "<" in value and ">" in value:
        return value[value.rindex("<") + 1:value.rindex(">")]
    return value


def spam_score(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        score = float(str(value).strip())
    except ValueError:
        return None
    return score if score == score and abs(score) < 1e9 else None  # no NaN, no absurd values


def yes_no_verdict(value: str | None) -> str | None:
    """SpamAssassin-style flags ("Yes", "No, score=1.7 ...") as a verdict."""
    word = (value or "").strip().split(",")[0].strip().lower()
    return {"yes": SPAM, "no": NOT_SPAM}.get(word)
