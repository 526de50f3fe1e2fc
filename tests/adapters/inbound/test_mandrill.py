"""Mandrill: X-Mandrill-Signature over the signed URL and sorted params, batches (§3.5)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from adapters.inbound.mandrill import MandrillWebhook, mandrill_signature, signed_url
from domain.errors import MalformedPayload, Unauthorized
from tests.adapters.inbound.payloads import reference_message, request, urlencoded

KEY = "1l9Qf7lutEf7h73VXfBwhw"
URL = "https://connector.example/inbound/mandrill"


def event(raw: bytes, *, email: str = "support@msp.example", score: float = 1.7) -> dict:
    return {"event": "inbound", "ts": 1507856722, "msg": {
        "raw_msg": raw.decode("utf-8"), "email": email, "from_email": "bob@acme.example",
        "sender": None, "tags": [], "spam_report": {"score": score, "matched_rules": []},
        "spf": {"result": "pass"}, "dkim": {"signed": True, "valid": True}}}


def post(events: list, *, key: str = KEY, url: str = URL, headers: dict | None = None) -> object:
    fields = [("mandrill_events", json.dumps(events))]
    body, ctype = urlencoded(fields)
    signature = mandrill_signature(key, url, fields)
    return MandrillWebhook(KEY, URL).receive(request(
        body, ctype, url=url, headers={"X-Mandrill-Signature": signature, **(headers or {})}))


class TestSignature:
    def test_the_signature_is_hmac_sha1_of_the_url_then_each_sorted_key_and_value(self) -> None:
        # The documented recipe, written out by hand [MD-auth].
        data = (URL + "a" + "1" + "mandrill_events" + "[]").encode()
        expected = base64.b64encode(hmac.new(KEY.encode(), data, hashlib.sha1).digest()).decode()
        assert mandrill_signature(KEY, URL, [("mandrill_events", "[]"), ("a", "1")]) == expected

    def test_a_signature_made_with_another_key_is_refused(self) -> None:
        with pytest.raises(Unauthorized, match="does not match"):
            post([], key="another-key")

    def test_a_signature_for_another_url_is_refused(self) -> None:
        with pytest.raises(Unauthorized):
            post([], url="https://connector.example/inbound/mandrill/")  # a trailing slash

    def test_the_request_url_is_signed_with_the_basic_credentials_put_back(self) -> None:
        auth = "Basic " + base64.b64encode(b"inbound:s3cr:t").decode()
        hook_request = request(b"", "application/x-www-form-urlencoded", url=URL,
                               headers={"Authorization": auth})
        assert signed_url(hook_request) == "https://inbound:s3cr%3At@connector.example/inbound/mandrill"


class TestBatch:
    def test_every_inbound_event_of_the_batch_is_a_delivery_with_raw_msg(self) -> None:
        first, second = reference_message(), reference_message(message_id="<ref-2@acme.example>")
        result = post([event(first), event(second, email="help@msp.example", score=5.2)])
        assert [d.raw for d in result.deliveries] == [first, second]
        assert [d.envelope_to for d in result.deliveries] == [("support@msp.example",),
                                                              ("help@msp.example",)]
        assert [d.spam_score for d in result.deliveries] == [1.7, 5.2]

    def test_an_empty_batch_from_mandrills_test_post_stores_nothing(self) -> None:
        assert post([]).deliveries == []

    def test_a_tracking_event_on_the_inbound_url_is_malformed(self) -> None:
        with pytest.raises(MalformedPayload, match="open"):
            post([{"event": "open", "msg": {}}])
