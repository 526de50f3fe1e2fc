"""Long base64 strings of a large JSON body decoded as it is read, and nothing else changed."""

from __future__ import annotations

import base64
import binascii
import json
import os

import pytest

from adapters.inbound.json_strings import LargeStrings
from adapters.inbound.rebuild import B64_CHUNK, Pieces, _b64

DATA = os.urandom(1_200_001)
BLOB = base64.b64encode(DATA).decode()  # 1.6 MB of base64, padded


def pieces_of(body: bytes, size: int) -> list[bytes]:
    return [body[i:i + size] for i in range(0, len(body), size)]


@pytest.mark.parametrize("size", [1, 4093, 65536, 10_000_000])  # as a body may arrive
def test_a_long_base64_value_is_decoded_as_the_body_is_read(size: int) -> None:
    body = json.dumps({"Attachments": [{"Content": BLOB}], "Subject": "scan"}).encode()
    pieces = pieces_of(body, size)
    strings = LargeStrings(pieces)
    assert pieces == []  # each let go once read
    payload = json.loads(strings.text)
    assert len(strings.text) < 200  # the parser saw a small document
    taken = strings.take(payload["Attachments"][0]["Content"])
    assert isinstance(taken, Pieces)
    chunks = list(taken.take())
    assert all(len(c) == B64_CHUNK for c in chunks[:-1])  # whole base64 lines for the rebuild
    assert b"".join(chunks) == DATA


@pytest.mark.parametrize("shape", [
    {"TextBody": BLOB, "Attachments": []},  # a value nobody takes
    {BLOB: 1, "Headers": [BLOB, "x"]},  # a key, and an item of a list
    {"Nested": {"deep": [[BLOB]]}, "Other": "plain"},
    {"Odd": BLOB[:-4] + "QR=="},  # padding whose bits are not zero: put back as it came
])
def test_every_value_not_taken_is_restored_as_json_loads_gives_it(shape: dict) -> None:
    body = json.dumps(shape).encode()
    strings = LargeStrings(pieces_of(body, 65536))
    assert strings.runs  # set aside, then put back
    assert strings.restore(json.loads(strings.text)) == json.loads(body)


@pytest.mark.parametrize("text", [
    '{"a": "x\\"' + BLOB + '"}',  # after an escaped quote, inside a string: not a value
    '{"a": "' + BLOB + '\\n"}',  # an escape after it: not a run
    '{"a": "' + BLOB[:1000] + '"}' + " " * 1_100_000,  # short
    '{"a": "' + BLOB[:-1] + '"}',  # a wrong length: left for the caller to refuse
    '{"a": "' + BLOB,  # never closed: the parser refuses it
])
def test_what_is_not_a_whole_decodable_base64_value_is_parsed_as_it_is(text: str) -> None:
    strings = LargeStrings(pieces_of(text.encode(), 4096))
    if text.endswith(BLOB):
        assert strings.text == text
        return
    assert not strings.runs and json.loads(strings.text) == json.loads(text)


@pytest.mark.parametrize("text", [BLOB, BLOB + "QQ==" + BLOB[:100_000], BLOB[:-4] + "QR=="])
def test_a_taken_file_is_what_binascii_decodes_of_the_whole_string(text: str) -> None:
    """Padding in the middle too: binascii stops there, and so does the decoding here."""
    strings = LargeStrings(pieces_of(json.dumps({"a": text}).encode(), 8192))
    taken = strings.take(json.loads(strings.text)["a"])
    assert b"".join(taken.take()) == binascii.a2b_base64(text)


@pytest.mark.parametrize("length", [1_500_000, 1_500_001, 1_500_002])
def test_a_file_in_pieces_encodes_as_the_whole_does(length: int) -> None:
    data = os.urandom(length)
    body = json.dumps({"a": [base64.b64encode(data).decode()]}).encode()
    strings = LargeStrings(pieces_of(body, 65536))
    taken = strings.take(json.loads(strings.text)["a"][0])
    assert b"".join(_b64(taken)) == b"".join(_b64(data))
