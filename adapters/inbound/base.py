"""What every inbound adapter produces, whatever the provider, and the base they share.

Each provider module turns one webhook request into `InboundDelivery`s: the raw RFC 822 bytes
(received as such, or rebuilt from a parsed payload), the SMTP envelope, the provider's event id
(for duplicate detection) and its spam verdict. The shape follows django-anymail's webhook views
(django-anymail's webhook views): one small class per provider on this base, no HTTP framework in sight, so the
parsing and the signature checks are tested as plain functions.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from adapters.inbound.json_strings import LargeStrings
from domain.addresses import envelope_recipients, envelope_sender
from domain.errors import DomainError, MalformedPayload
from domain.messages import NOT_SPAM, SPAM, InboundDelivery, ReplayToken
from domain.settings import SettingSpec
from domain.webhook_requests import WebhookRequest


@dataclass
class WebhookResult:
    """What a request carried: zero or more messages to store, and what else happened."""

    deliveries: list[InboundDelivery] = field(default_factory=list)
    note: str | None = None  # e.g. "subscription confirmed" when nothing is stored
    # A signed token that must not be accepted twice (Mailgun): recorded by ingest in the
    # same transaction as the message, so a failed commit leaves it unused for the retry.
    replay: ReplayToken | None = None


@dataclass(frozen=True)
class ProviderPorts:
    """What provider adapters reach outside: SNS over HTTPS, the providers' HTTP APIs."""

    sns: Any  # adapters.inbound.sns.SnsHttp
    http: Any  # an httpx.Client for the providers' APIs (Resend, Brevo)


@dataclass(frozen=True)
class Provider:
    """One provider's registration: everything the HTTP layer and the settings need to know.

    `auth`: "basic" (HTTP Basic, checked before the body is read), "signature" (the adapter
    verifies what signs the payload), or "token_or_basic" (a token setting when it is set,
    else HTTP Basic). `answer`: "one" message, a "batch", or "one_or_note" (a request that may
    carry no message, such as an SNS subscription confirmation). `refusals`: statuses that
    this provider reads differently from the default table (docs/providers.md, "What the connector answers").
    """

    name: str
    paths: tuple[str, ...]
    summary: str
    build: Callable[[Any, ProviderPorts], InboundWebhook[Any]]  # (current settings, ports)
    auth: str = "basic"
    token_setting: str | None = None  # for auth "token_or_basic"
    media_types: tuple[str, ...] = ("application/json",)
    answer: str = "one"
    errors: tuple[int, ...] = (400, 401)
    settings: tuple[SettingSpec, ...] = ()
    refusals: Mapping[type[DomainError], int] = field(default_factory=dict)
    head_check: bool = False  # answers HEAD (Mandrill checks the URL before it saves it)
    # The body handed over in the pieces it arrived in (WebhookRequest.take_pieces), for a
    # decoder that reads it as a stream and lets each piece go (Postmark's: json_strings.py).
    reads_pieces: bool = False
    # The largest request the provider itself sends (its documented limits, with room for the
    # encoding), refused before reading; None: the CONNECTOR_INBOUND_MAX_REQUEST_BYTES setting.
    max_request_bytes: int | None = None
    # For the OpenAPI document (api/http/routes/providers.py renders them): what the request
    # carries, what proves where it comes from (for auth "signature" and "token_or_basic"),
    # and a request body as the provider posts it (form fields, or the JSON), which
    # tests/adapters/inbound/test_examples.py runs through the adapter.
    payload: str = ""
    credential: str = ""
    example: Any = None


# The message in the providers' examples (a sample, not a capture of real traffic).
EXAMPLE_SUBJECT = "Printer on floor 2 is offline"
EXAMPLE_TEXT = "Hello,\n\nthe printer on floor 2 is offline again.\n\nBob\n"
EXAMPLE_HEADERS = (("From", "Bob Jones <bob@acme.example>"), ("To", "support@msp.example"),
                   ("Subject", EXAMPLE_SUBJECT), ("Date", "Wed, 02 Dec 2026 09:30:00 +0000"),
                   ("Message-ID", "<printer-2@acme.example>"))
EXAMPLE_MESSAGE = "".join(f"{n}: {v}\r\n" for n, v in EXAMPLE_HEADERS) + "\r\n" + \
    EXAMPLE_TEXT.replace("\n", "\r\n")


P = TypeVar("P")


class InboundWebhook(ABC, Generic[P]):
    """One provider: decode the request, verify what signs it, hand over deliveries.

    HTTP Basic credentials are checked by the route (api.http.deps.require_inbound_basic) before the
    body is read; `verify` is for what only the payload can prove (signatures, tokens, topics).
    """

    provider: ClassVar[str]

    def precheck(self, headers: Mapping[str, str]) -> None:  # noqa: B027
        """What can be refused before a byte of the body is read (header names in lower case):
        a missing credential or signature header, an unconfigured provider. So that a request
        without credentials costs little memory, whatever size it announces."""

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

def load_json_body(request: WebhookRequest, what: str) -> Any:
    """The body as JSON, taken out of the request so that its bytes are freed before the text
    is parsed: a 35 MB Postmark payload held its bytes, its text and the parsed strings at once
    (bench/memory.py). For providers whose check does not read the body after decoding it."""
    return load_json(_json_text(request.take_body(), what), what)


def load_json_body_setting_aside(request: WebhookRequest, what: str) -> tuple[Any, LargeStrings]:
    """load_json_body with the long base64 strings decoded as the body is read and kept out of
    the parser: the payload holds a token for each, which the returned LargeStrings turns into
    the decoded file or back into the string (adapters/inbound/json_strings.py)."""
    try:
        strings = LargeStrings(request.take_pieces())
    except UnicodeDecodeError as exc:
        raise MalformedPayload(f"{what} is not valid JSON: {exc}") from None
    return load_json(strings.text, what), strings


def _json_text(body: bytes, what: str) -> str:
    """What json.loads does with bytes (RFC 8259 §8.1: UTF-8, or UTF-16/32 told by the first
    bytes), as a step of its own: the bytes are released once the text exists."""
    try:
        return body.decode(json.detect_encoding(body), "surrogatepass")
    except UnicodeDecodeError as exc:
        raise MalformedPayload(f"{what} is not valid JSON: {exc}") from None


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


__all__ = ["WebhookRequest", "envelope_recipients", "envelope_sender"]  # the providers take them from here
