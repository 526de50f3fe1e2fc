"""Reading a request body with a size limit, before any of it is stored."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Request

from domain.errors import MalformedPayload, PayloadTooLarge


async def read_body(request: Request, limit: int) -> bytes:
    return await read_limited(request.stream(), request.headers.get("content-length"), limit)


async def read_limited(chunks: AsyncIterator[bytes], declared: str | None, limit: int) -> bytes:
    """The whole body, refused (413) as soon as it is known to exceed `limit` bytes.

    Gathered in one growing buffer whose bytes become the result without a copy (BytesIO's
    getvalue hands its own buffer over): a list of chunks joined at the end held the body
    twice, 60 MB at once for a 30 MB message (bench/memory.py)."""
    body = io.BytesIO()
    async for chunk in _within(chunks, declared, limit):
        body.write(chunk)
    return body.getvalue()


async def read_pieces(chunks: AsyncIterator[bytes], declared: str | None,
                      limit: int) -> list[bytes]:
    """read_limited's body in pieces of about PIECE bytes, for a provider that reads them as a
    stream and lets each go once read (Provider.reads_pieces)."""
    pieces: list[bytes] = []
    piece: list[bytes] = []
    size = 0
    async for chunk in _within(chunks, declared, limit):
        piece.append(chunk)
        size += len(chunk)
        if size >= PIECE:
            # Joined, not grown in a BytesIO: a buffer grown by realloc from the heap may stay
            # in the heap, where what is freed is not given back while the mappings made next
            # (the decoded file, the rebuilt message) are added beside it. That happened in
            # some runs: the web process's peak was the body twice (bench/memory.py; smaps).
            pieces.append(b"".join(piece))
            piece, size = [], 0
    if piece:
        pieces.append(b"".join(piece))
    return pieces


async def _within(chunks: AsyncIterator[bytes], declared: str | None,
                  limit: int) -> AsyncIterator[bytes]:
    """The chunks, refused (413) as soon as they are known to exceed `limit` bytes."""
    if declared is not None:
        if not declared.strip().isdigit():
            raise MalformedPayload("Content-Length is not a number")
        if int(declared) > limit:
            raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {limit}")
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body exceeds the limit of {limit} bytes")
        yield chunk


# The server's chunks (64 KiB) gathered into pieces this large: buffers of a MiB or more are
# the system's own mappings, given back when freed (api/entrypoints/malloc.py); 35 MB of small
# chunks, freed one by one as a provider reads them, stayed in the heap, resident.
PIECE = 1024 * 1024


LARGE = 1024 * 1024  # a body above this (or of unknown size) takes one of the few slots


class LargeBodies:
    """At most `slots` large request bodies held in memory at once by this process; more wait
    their turn (the providers retry on a slow answer rather than lose mail). Small ones pass."""

    def __init__(self, slots: int = 2) -> None:
        self._slots = asyncio.Semaphore(slots)

    @asynccontextmanager
    async def admitted(self, declared: str | None) -> AsyncIterator[None]:
        small = declared is not None and declared.strip().isdecimal() and int(declared) <= LARGE
        if small:
            yield
            return
        async with self._slots:
            yield
