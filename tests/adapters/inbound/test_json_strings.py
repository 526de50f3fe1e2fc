"""Long base64 strings of a large JSON body kept out of the parser, and nothing else changed."""

from __future__ import annotations

import base64
import binascii
import json
import os

import pytest

from adapters.inbound.json_strings import LargeStrings
from adapters.inbound.rebuild import Pieces, _b64

BLOB = base64.b64encode(os.urandom(1_200_000)).decode()  # 1.6 MB of base64


def test_a_long_base64_value_is_taken_as_the_bodys_own_bytes() -> None:
    body = json.dumps({"Attachments": [{"Content": BLOB}], "Subject": "scan"}).encode()
    strings = LargeStrings(body)
    payload = json.loads(strings.text)
    assert len(strings.text) < 200  # the parser saw a small document
    taken = strings.take(payload["Attachments"][0]["Content"])
    assert isinstance(taken, memoryview) and taken.obj is body and taken == BLOB.encode()


@pytest.mark.parametrize("shape", [
    {"TextBody": BLOB, "Attachments": []},  # a value nobody takes
    {BLOB: 1, "Headers": [BLOB, "x"]},  # a key, and an item of a list
    {"Nested": {"deep": [[BLOB]]}, "Other": "plain"},
])
def test_every_value_not_taken_is_restored_as_json_loads_gives_it(shape: dict) -> None:
    body = json.dumps(shape).encode()
    strings = LargeStrings(body)
    assert strings.runs  # set aside, then put back
    assert strings.restore(json.loads(strings.text)) == json.loads(body)


@pytest.mark.parametrize("text", [
    '{"a": "x\\"' + BLOB + '"}',  # after an escaped quote, inside a string: not a value
    '{"a": "' + BLOB + '\\n"}',  # an escape in it: not a run
    '{"a": "' + BLOB[:1000] + '"}' + " " * 1_100_000,  # short
])
def test_what_is_not_a_whole_long_base64_value_is_parsed_as_it_is(text: str) -> None:
    strings = LargeStrings(text.encode())
    assert not strings.runs and json.loads(strings.text) == json.loads(text)


@pytest.mark.parametrize("length", [1_500_000, 1_500_001, 1_500_002])
def test_a_file_decoded_in_pieces_encodes_as_the_whole_does(length: int) -> None:
    data = os.urandom(length)
    text = memoryview(base64.b64encode(data))
    assert b"".join(_b64(Pieces.decoded(text))) == b"".join(_b64(data))


@pytest.mark.parametrize("text", [b"QUJD" * 300_000 + b"QQ", b"QUJD" * 300_000 + b"Q"])
def test_pieces_fail_where_the_whole_fails(text: bytes) -> None:
    with pytest.raises(binascii.Error):
        binascii.a2b_base64(text)
    with pytest.raises(binascii.Error):
        Pieces.decoded(memoryview(text))
