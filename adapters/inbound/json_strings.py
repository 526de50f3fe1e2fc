"""Long base64 strings of a large JSON body kept out of the JSON parser, decoded as it is read.

Postmark posts each attachment as base64 inside its JSON (up to 35 MB in all). Parsed as it
is, the body's text and the parsed string of the attachment were held at once, twice the
payload, and then the decoded file beside the body (bench/memory.py). Here the body is read
in the pieces it arrived in, each let go once read: each string value of at least _MIN_RUN
base64 characters is decoded as it goes by and left out of the text, a short token string in
its place; the parser sees a small document. `take` hands the caller the decoded file
(rebuild.Pieces, in whole base64 lines); every token not taken is put back as the string
json.loads would have made, so fields the caller does not take are exactly what they were.

A run is a string value only: its opening quote follows ":", "[" or "," (white space
between), which a quote inside a string never does (there it is escaped, `\\"`); a string's
closing quote that looks so is followed by no base64 character in valid JSON. A run holds no
backslash, so its closing quote is a real one and the JSON string is its characters as they
are. Only UTF-8 bodies (RFC 8259 §8.1) of at least LARGE bytes.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import secrets
from typing import Any

from adapters.inbound.rebuild import B64_CHUNK, Pieces
from domain.webhook_requests import joined

LARGE = 1024 * 1024
_MIN_RUN = 64 * 1024
_STEP = 256 * 1024  # a run is copied and decoded this much at a time, whatever the pieces
_BASE64 = re.compile(rb"[A-Za-z0-9+/=]*")
_SPACE = frozenset(b" \t\r\n")
_BEFORE_A_VALUE = frozenset(b":[,")
_QUOTE = ord('"')


class LargeStrings:
    def __init__(self, pieces: list[bytes]) -> None:
        """`pieces` (emptied as they are read): the body. `text`: the body as text for
        json.loads, each long base64 string as a token."""
        self.runs: dict[str, _SetAside] = {}
        head = b"".join(p[:4] for p in pieces[:4])[:4]
        if sum(map(len, pieces)) < LARGE or json.detect_encoding(head) != "utf-8":
            body = joined(pieces)
            self.text = body.decode(json.detect_encoding(body), "surrogatepass")
            return
        scanner = _Scanner(f"@@email-connector-json-{secrets.token_hex(8)}-")
        pieces.reverse()
        while pieces:
            scanner.feed(pieces.pop())
        self.text = scanner.finish().decode("utf-8", "surrogatepass")
        self.runs = scanner.runs

    def take(self, value: Any) -> Any:
        """The decoded file `value` stands for, if it is a token, else `value` itself."""
        if isinstance(value, str) and value in self.runs:
            return self.runs.pop(value).pieces
        return value

    def restore(self, value: Any) -> Any:
        """`value` with every token not taken put back as its string (in place; returned)."""
        if not self.runs:
            return value
        if isinstance(value, str):
            run = self.runs.pop(value, None)
            return value if run is None else run.text()
        if isinstance(value, list):
            value[:] = [self.restore(item) for item in value]
        elif isinstance(value, dict):
            items = [(self.restore(k), self.restore(v)) for k, v in value.items()]
            value.clear()
            value.update(items)
        return value


class _SetAside:
    """A run's decoded bytes, and how its last characters were written (they may pad)."""

    def __init__(self, pieces: Pieces, tail_text: bytes, tail_bytes: int) -> None:
        self.pieces, self.tail_text, self.tail_bytes = pieces, tail_text, tail_bytes

    def text(self) -> str:
        """The string as it was: every whole group of four characters is its three bytes."""
        data = b"".join(self.pieces.take())
        return str(base64.b64encode(data[:len(data) - self.tail_bytes]) + self.tail_text, "ascii")


class _Run:
    """The characters of a string that may be a run: kept until there are _MIN_RUN of them,
    then decoded as they come, in groups of four, up to the first padding character."""

    def __init__(self) -> None:
        self.length = 0
        self._kept: list[bytes] = []  # before it is known to be long
        self._decoded: list[bytes] = []  # pieces of B64_CHUNK bytes
        self._pending = bytearray()  # decoded, not yet a whole piece
        self._carry = b""  # characters not decoded yet: < 4, or all from the first "="
        self._padded = False

    def add(self, text: bytes) -> None:
        self.length += len(text)
        if self.length < _MIN_RUN:
            self._kept.append(text)
            return
        if self._kept:
            text, self._kept = b"".join([*self._kept, text]), []
        text = self._carry + text
        if self._padded:
            self._carry = text
            return
        usable = text.find(b"=")
        self._padded = usable >= 0
        usable = len(text) if usable < 0 else usable
        whole = usable - usable % 4
        self._pending += binascii.a2b_base64(memoryview(text)[:whole])
        self._carry = text[whole:]
        while len(self._pending) >= B64_CHUNK:
            with memoryview(self._pending) as pending:  # (one copy: a slice would be two)
                self._decoded.append(bytes(pending[:B64_CHUNK]))
            del self._pending[:B64_CHUNK]

    def set_aside(self) -> _SetAside | None:
        """The decoded run, or None where its last characters do not decode (then it stays a
        string, for the caller's decoding to refuse as before)."""
        try:
            tail = binascii.a2b_base64(self._carry)
        except binascii.Error:
            return None
        last = bytes(self._pending) + tail
        return _SetAside(Pieces([*self._decoded, last]), self._carry, len(tail))

    def text(self) -> bytes:
        """The characters as they came."""
        if self.length < _MIN_RUN:
            return b"".join(self._kept)
        return b"".join([*map(base64.b64encode, self._decoded),
                         base64.b64encode(self._pending), self._carry])


class _Scanner:
    def __init__(self, prefix: str) -> None:
        self.runs: dict[str, _SetAside] = {}
        self._prefix = prefix
        self._out = io.BytesIO()  # the text without the runs
        self._last = 0  # the last byte written that is not white space
        self._run: _Run | None = None

    def feed(self, data: bytes) -> None:
        position = 0
        while position < len(data):
            if self._run is not None:
                position = self._in_run(data, position)
                continue
            quote = data.find(b'"', position)
            if quote < 0:
                self._write(data, position, len(data))
                return
            self._write(data, position, quote)
            if self._last in _BEFORE_A_VALUE:
                self._run = _Run()
            self._write(data, quote, quote + 1)
            position = quote + 1

    def finish(self) -> bytes:
        if self._run is not None:  # a string left open: the parser says what is wrong
            self._out.write(self._run.text())
        return self._out.getvalue()

    def _in_run(self, data: bytes, position: int) -> int:
        run = self._run
        assert run is not None
        limit = min(len(data), position + _STEP)
        end = _BASE64.match(data, position, limit).end()  # type: ignore[union-attr]  # matches ""
        run.add(data[position:end])
        if end == limit:
            return end  # it goes on (in this piece, or in the next)
        self._run = None
        set_aside = run.set_aside() if data[end] == _QUOTE and run.length >= _MIN_RUN else None
        if set_aside is None:  # not a run: its characters go into the text as they came
            text = run.text()
            self._write(text, 0, len(text))
            return end
        token = f"{self._prefix}{len(self.runs)}@@"
        self.runs[token] = set_aside
        self._out.write(token.encode("ascii"))
        return end

    def _write(self, data: bytes, start: int, end: int) -> None:
        if start == end:
            return
        self._out.write(memoryview(data)[start:end])
        last = end - 1
        while last >= start and data[last] in _SPACE:
            last -= 1
        if last >= start:
            self._last = data[last]
