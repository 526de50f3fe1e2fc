"""Request bodies read with a limit: refused as soon as the limit is known to be exceeded,
without reading the rest; under it, the body comes back exactly as sent."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from adapters.inbound.providers import PROVIDERS
from api.http.body import PIECE, read_limited, read_pieces
from domain.errors import PayloadTooLarge


class Sender:
    """A client's body in chunks; counts what the server read."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks, self.read = chunks, 0

    async def stream(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.read += 1
            yield chunk


def read(sender: Sender, declared: str | None, limit: int) -> bytes:
    return asyncio.run(read_limited(sender.stream(), declared, limit))


def test_a_body_under_the_limit_comes_back_byte_for_byte() -> None:
    chunks = [os.urandom(65536) for _ in range(40)] + [b"", b"end"]
    sender = Sender(chunks)
    assert read(sender, str(sum(map(len, chunks))), 10_000_000) == b"".join(chunks)
    assert sender.read == len(chunks)


def test_a_declared_length_over_the_limit_is_refused_before_any_of_it_is_read() -> None:
    sender = Sender([b"x" * 1000] * 10)
    with pytest.raises(PayloadTooLarge):
        read(sender, "10000", 9999)
    assert sender.read == 0


def test_an_undeclared_body_is_refused_at_the_chunk_that_crosses_the_limit() -> None:
    sender = Sender([b"x" * 1000] * 100)
    with pytest.raises(PayloadTooLarge):
        read(sender, None, 4500)
    assert sender.read == 5  # the other 95 chunks were never read


def test_a_body_longer_than_it_declared_is_refused_at_the_limit() -> None:
    sender = Sender([b"x" * 1000] * 100)
    with pytest.raises(PayloadTooLarge):
        read(sender, "1000", 4500)
    assert sender.read == 5


def test_a_body_read_in_pieces_comes_back_whole_in_pieces_the_system_can_take_back() -> None:
    chunks = [os.urandom(65536) for _ in range(40)] + [b"", b"end"]
    pieces = asyncio.run(read_pieces(Sender(chunks).stream(), None, 10_000_000))
    assert b"".join(pieces) == b"".join(chunks)
    assert len(pieces) == 3 and all(len(p) >= PIECE for p in pieces[:-1])
    with pytest.raises(PayloadTooLarge):
        asyncio.run(read_pieces(Sender(chunks).stream(), None, 2_000_000))


def test_postmark_is_the_provider_handed_its_body_in_pieces() -> None:
    """Its decoder reads the body as a stream (adapters/inbound/json_strings.py); the others
    get one bytes, as read_limited gathers it."""
    assert [p.name for p in PROVIDERS if p.reads_pieces] == ["postmark"]
