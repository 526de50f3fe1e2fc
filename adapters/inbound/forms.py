"""HTML form bodies (multipart/form-data, x-www-form-urlencoded) read byte-exactly.

Starlette's form parser is not used on purpose ([ST-form], docs/providers.md): it decodes text
fields with the request charset, falling back to latin-1 for the whole field, and refuses
non-file parts over 1 MB with a 400. SendGrid's raw `email` and Mailgun's `body-mime` are
non-file fields holding the whole message, and SendGrid posts `text`/`html` in their original
charsets; either behaviour corrupts or rejects real mail. Here every value stays bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header

from domain.errors import MalformedPayload


@dataclass(slots=True)
class FormPart:
    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None  # the part's Content-Type header, parameters included
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Form:
    parts: list[FormPart]

    def get(self, name: str) -> bytes | None:
        """The first value of a field, as bytes."""
        for part in self.parts:
            if part.name == name:
                return part.data
        return None

    def text(self, name: str, charset: str = "utf-8") -> str | None:
        data = self.get(name)
        return None if data is None else data.decode(charset, errors="replace")

    def part(self, name: str) -> FormPart | None:
        return next((p for p in self.parts if p.name == name), None)

    def pairs(self) -> list[tuple[str, str]]:
        """Every field as text (for signatures that cover the form, e.g. Mandrill's)."""
        return [(p.name, p.data.decode("utf-8", errors="replace")) for p in self.parts]

    def __contains__(self, name: str) -> bool:
        return any(p.name == name for p in self.parts)


def parse_form(body: bytes, content_type: str) -> Form:
    media_type, params = parse_options_header(content_type)
    if media_type == b"application/x-www-form-urlencoded":
        # Latin-1 maps each byte to one character and back, so the percent-decoded values come
        # out as the exact bytes sent (parse_qsl alone would decode them as UTF-8).
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
        return Form([FormPart(k.encode("latin-1").decode("utf-8", errors="replace"),
                              v.encode("latin-1")) for k, v in pairs])
    if media_type == b"multipart/form-data":
        boundary = params.get(b"boundary")
        if not boundary:
            raise MalformedPayload("multipart/form-data without a boundary")
        return Form(_multipart(body, boundary))
    raise MalformedPayload(
        f"expected a form (multipart/form-data or x-www-form-urlencoded), got {content_type!r}")


def _multipart(body: bytes, boundary: bytes) -> list[FormPart]:
    parts: list[FormPart] = []
    chunks: list[bytes] = []
    headers: dict[str, str] = {}
    name = bytearray()
    value = bytearray()

    def on_part_begin() -> None:
        chunks.clear()
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        value.extend(data[start:end])

    def on_header_end() -> None:
        # Latin-1 keeps every byte (filenames are sent as raw UTF-8), see _part.
        headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        name.clear()
        value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        chunks.append(data[start:end])

    def on_part_end() -> None:
        parts.append(_part(dict(headers), b"".join(chunks)))

    parser = MultipartParser(boundary, {  # type: ignore[arg-type]
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_part_data": on_part_data, "on_part_end": on_part_end,
    }, max_header_count=32, max_header_size=64 * 1024)
    try:
        parser.write(body)
        parser.finalize()
    except Exception as exc:  # python-multipart raises its own error types
        raise MalformedPayload(f"the multipart body cannot be read: {exc}") from None
    return parts


def _part(headers: dict[str, str], data: bytes) -> FormPart:
    _, params = parse_options_header(headers.get("content-disposition", ""))
    filename = params.get(b"filename")
    return FormPart(
        name=_utf8(params.get(b"name", b"")),
        data=data,
        filename=_utf8(filename) if filename is not None else None,
        content_type=headers.get("content-type"),
        headers=headers,
    )


def _utf8(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")
