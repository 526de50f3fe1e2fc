"""Long runs of base64 lines kept out of the stdlib parser's line lists.

email.feedparser holds a body as a list of lines before it joins them: reading a message with
one 30 MB attachment peaked at 232 MB (bench/memory.py). Before a large message is parsed,
each run of base64 lines of 64 KiB or more is replaced by one token line; after parsing, each
token is replaced by its run in the text where it landed (a payload, a preamble, an epilogue).
A run of base64 lines holds no boundary ("-" is not in the alphabet), no header field (no
":") and no blank line, and the token line has none either, so the message parses into the
same structure with the same texts (tests/adapters/test_large_bodies.py compares both ways).
"""

from __future__ import annotations

import base64
import re
import secrets
from email.message import Message

LARGE = 1024 * 1024  # smaller messages are parsed as they are
_MIN_RUN = 64 * 1024
# Whole lines only (from a line start to its LF): linear, since runs never overlap.
# Possessive (the same matches: nothing follows a run that backtracking could help): the
# greedy group kept a backtracking record per line, 78 MB for a 30 MB run.
_RUN = re.compile(rb"(?m)^(?:[A-Za-z0-9+/=]++\r?\n)++")


class Elided:
    """The message (`source`), its runs set aside (`runs`, views of it), and what the parser
    reads (`data`, bytes)."""

    def __init__(self, data: bytes | bytearray) -> None:
        self.source = data
        self.runs: dict[str, memoryview] = {}
        self._spans: dict[int, tuple[int, int]] = {}  # id of a run: where it is in `data`
        if len(data) < LARGE:
            self.data = bytes(data)  # (bytes as they are, no copy)
            return
        self._prefix = f"@@email-connector-run-{secrets.token_hex(8)}-"
        view, position = memoryview(data), 0
        pieces: list[bytes | memoryview] = []
        self._source = view
        for match in _RUN.finditer(data):
            start, end = match.span()
            if end - start < _MIN_RUN:
                continue
            # The run's last line ending stays: the parser may count it as the boundary's.
            end -= 2 if data[end - 2:end] == b"\r\n" else 1
            token = f"{self._prefix}{len(self.runs)}@@"
            pieces += [view[position:start], token.encode("ascii")]
            self.runs[token] = view[start:end]
            self._spans[id(self.runs[token])] = (start, end)
            position = end
        pieces.append(view[position:])
        self.data = b"".join(pieces) if self.runs else bytes(data)

    def restore(self, msg: Message) -> Message:
        """Put every run back where its token landed."""
        if not self.runs:
            return msg
        for part in msg.walk():
            for attribute in ("_payload", "preamble", "epilogue"):
                text = getattr(part, attribute, None)
                if not isinstance(text, str) or self._prefix not in text:
                    continue
                whole = self._whole_body(text) if attribute == "_payload" else None
                if whole is not None and _is_base64(part):
                    RunPayload.become(part, whole)
                else:
                    setattr(part, attribute, self._restored(text))
        return msg

    def _restored(self, text: str) -> str:
        whole = self._whole_body(text)
        if whole is not None:
            return str(whole, "ascii")
        for token, run in self.runs.items():
            if token in text:
                text = text.replace(token, str(run, "ascii"))
        return text

    def _whole_body(self, text: str) -> memoryview | None:
        """A part's body that is one run, or one run and the line end after it (the usual
        case), as the message's own bytes: replacing its token made a second copy."""
        for ending in ("", "\n", "\r\n"):
            run = self.runs.get(text[:len(text) - len(ending)]) if text.endswith(ending) else None
            if run is None:
                continue
            start, end = self._spans[id(run)]
            stop = end + len(ending)
            if self._source[end:stop] == ending.encode("ascii"):
                return self._source[start:stop]
        return None


def _is_base64(part: Message) -> bool:
    return str(part.get("content-transfer-encoding", "")).strip().lower() == "base64"


class RunPayload(Message):
    """A base64 leaf part whose body is one run: its text is made from the message's bytes
    each time it is asked for, never kept, and `run` hands a decoder the bytes themselves
    (adapters/mail/transfer.py), so a 30 MB attachment is not held as text beside them.
    Anything that sets the payload makes it an ordinary part again.

    `decoded`: the body once decoded over its own text (transfer.file_body, in a reader
    child); the text, asked for after that, is made from it (the same content, in lines of 76)."""

    run: memoryview
    decoded: memoryview | None

    @classmethod
    def become(cls, part: Message, run: memoryview) -> None:
        part.__dict__.pop("_payload", None)
        part.__class__ = cls
        part.__dict__["run"] = run
        part.__dict__["decoded"] = None

    @property  # type: ignore[override]
    def _payload(self) -> str:
        if self.__dict__["decoded"] is not None:
            return str(base64.encodebytes(self.__dict__["decoded"]), "ascii")
        return str(self.__dict__["run"], "ascii")

    @_payload.setter
    def _payload(self, value: object) -> None:
        self.__class__ = Message  # type: ignore[assignment]  # an ordinary part again
        self.__dict__.pop("run", None)
        self.__dict__.pop("decoded", None)
        self.__dict__["_payload"] = value

    def is_multipart(self) -> bool:
        return False  # (without making the text to see that it is no list)
