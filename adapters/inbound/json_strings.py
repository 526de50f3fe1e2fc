"""Long base64 strings of a large JSON body kept out of the JSON parser.

Postmark posts each attachment as base64 inside its JSON (up to 35 MB in all). Parsed as it
is, the body's text and the parsed string of the attachment were held at once, twice the
payload (bench/memory.py). Here, before parsing, each string value of at least _MIN_RUN
base64 characters is replaced in the text by a short token string; the parser sees a small
document. `take` hands the caller the string's bytes, a view of the body itself (binascii
decodes it as it is); every token not taken is put back as the string json.loads would have
made, so fields the caller does not take are exactly what they were.

A run is a string value only: its opening quote follows ":", "[" or "," (white space
between), which a quote inside a string never does (there it is escaped, `\\"`), and the run
holds no backslash, so its closing quote is a real one and the JSON string is the bytes
between the quotes, unescaped. Only UTF-8 bodies (RFC 8259 §8.1) of at least LARGE bytes.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

LARGE = 1024 * 1024
_MIN_RUN = 64 * 1024
# Starting with a literal, the pattern is looked for at memchr speed; the character before it
# is checked apart.
_RUN = re.compile(rb'"([A-Za-z0-9+/=]{%d,}+)"' % _MIN_RUN)
_BEFORE_A_VALUE = (b":", b"[", b",")


class LargeStrings:
    def __init__(self, body: bytes) -> None:
        """`text`: the body as text for json.loads, each long base64 string as a token."""
        self.runs: dict[str, memoryview] = {}
        if len(body) < LARGE or json.detect_encoding(body) != "utf-8":
            self.text = body.decode(json.detect_encoding(body), "surrogatepass")
            return
        prefix = f"@@email-connector-json-{secrets.token_hex(8)}-"
        view, position = memoryview(body), 0
        pieces: list[bytes | memoryview] = []
        for match in _RUN.finditer(body):
            start, end = match.span(1)
            if body[max(0, start - 65):start - 1].rstrip(b" \t\r\n")[-1:] not in _BEFORE_A_VALUE:
                continue
            token = f"{prefix}{len(self.runs)}@@"
            pieces += [view[position:start], token.encode("ascii")]
            self.runs[token] = view[start:end]
            position = end
        pieces.append(view[position:])
        self.text = b"".join(pieces).decode("utf-8", "surrogatepass")

    def take(self, value: Any) -> Any:
        """The base64 bytes `value` stands for, if it is a token, else `value` itself."""
        if isinstance(value, str) and value in self.runs:
            return self.runs.pop(value)
        return value

    def restore(self, value: Any) -> Any:
        """`value` with every token not taken put back as its string (in place; returned)."""
        if not self.runs:
            return value
        if isinstance(value, str):
            run = self.runs.pop(value, None)
            return value if run is None else str(run, "ascii")
        if isinstance(value, list):
            value[:] = [self.restore(item) for item in value]
        elif isinstance(value, dict):
            items = [(self.restore(k), self.restore(v)) for k, v in value.items()]
            value.clear()
            value.update(items)
        return value
