"""A provider's HTTP request as the webhook adapters receive it."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass
class WebhookRequest:
    """One HTTP request as a provider sent it: nothing decoded yet. Not frozen: a provider
    may take the body out (take_body, take_pieces) to free it as soon as it is decoded.

    The body is kept in the pieces it arrived in until it is first asked for whole: a provider
    that reads it as a stream (json_strings.py, Postmark) never holds it twice."""

    method: str
    url: str
    headers: Mapping[str, str]  # names in lower case
    pieces: list[bytes]

    @classmethod
    def build(cls, method: str, url: str, headers: Iterable[tuple[str, str]],
              body: bytes | list[bytes]) -> WebhookRequest:
        return cls(method.upper(), url, {k.lower(): v for k, v in headers},
                   body if isinstance(body, list) else [body])

    @property
    def body(self) -> bytes:
        if len(self.pieces) != 1:
            self.pieces = [joined(self.pieces)]
        return self.pieces[0]

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def take_body(self) -> bytes:
        """The body, no longer held here (the caller's reference is then the only one)."""
        body, self.pieces = self.body, []
        return body

    def take_pieces(self) -> list[bytes]:
        """The body in its pieces, no longer held here (for the caller to let go one by one)."""
        pieces, self.pieces = self.pieces, []
        return pieces

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def media_type(self) -> str:
        return self.content_type.split(";")[0].strip().lower()


def joined(pieces: list[bytes]) -> bytes:
    """The pieces as one bytes, each let go once copied (the list is emptied): a joined list
    holds the whole twice. BytesIO's buffer becomes the result without a copy."""
    whole = io.BytesIO()
    pieces.reverse()
    while pieces:
        whole.write(pieces.pop())
    return whole.getvalue()
