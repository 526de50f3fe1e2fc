"""Mailgun: signature, window, replay token, parsed form and raw MIME (docs/providers.md, Mailgun; sources there)."""

from __future__ import annotations

import time

import pytest

from adapters.inbound.mailgun import MailgunWebhook, check_signature, mailgun_signature
from domain.errors import MalformedPayload, Unauthorized
from tests.adapters.inbound.payloads import (
    document,
    mailgun_fields,
    multipart,
    reference_message,
    request,
    split,
    urlencoded,
)

KEY = "key-test-signing"
# The real vector from Rails' Action Mailbox tests [AMB-mg], quoted in docs/providers.md, Mailgun.
RAILS = ("tbsy84uSV1Kt3ZJZELY2TmShPRs91E3yL4tzf96297vBCkDWgL", "1539112500",
         "7VwW7k6Ak7zcTwoSoNm7aTtbk1g67MKAnsYLfUB7PdszbgR5Xi",
         "ef24c5225322217bb065b80bb54eb4f9206d764e3e16abab07f0a64d1cf477cc")


def signed(fields: list, *, at: float | None = None, token: str = "t" * 50, key: str = KEY) -> list:
    stamp = str(int(at if at is not None else time.time()))
    return fields + [("timestamp", stamp), ("token", token),
                     ("signature", mailgun_signature(key, stamp, token))]


def hook(max_age: float = 3600) -> MailgunWebhook:
    return MailgunWebhook(KEY, max_age_seconds=max_age)


class TestSignature:
    def test_the_rails_test_vector_verifies(self) -> None:
        key, stamp, token, signature = RAILS
        assert mailgun_signature(key, stamp, token) == signature
        check_signature(key, stamp, token, signature, now=float(stamp) + 10, max_age=120)

    def test_a_wrong_signature_is_refused(self) -> None:
        key, stamp, token, signature = RAILS
        with pytest.raises(Unauthorized, match="does not match"):
            check_signature(key, stamp, token, signature[:-1] + "0", now=float(stamp), max_age=120)

    def test_a_timestamp_older_than_the_window_is_refused(self) -> None:
        key, stamp, token, signature = RAILS
        with pytest.raises(Unauthorized, match="window"):
            check_signature(key, stamp, token, signature, now=float(stamp) + 121, max_age=120)

    def test_without_a_signing_key_nothing_is_accepted(self) -> None:
        key, stamp, token, signature = RAILS
        with pytest.raises(Unauthorized, match="not configured"):
            check_signature(None, stamp, token, signature, now=float(stamp), max_age=120)


class TestReceive:
    def test_the_token_is_handed_to_ingest_to_be_used_once_until_the_window_ends(self) -> None:
        body, ctype = urlencoded(signed([("body-mime", "From: a@b.example\r\n\r\nhi")]))
        result = hook(max_age=3600).receive(request(body, ctype))
        assert result.replay is not None and result.replay.token == "t" * 50
        assert result.replay.expires_at.timestamp() == pytest.approx(time.time() + 3600, abs=5)

    def test_body_mime_is_handed_over_byte_exact_with_the_envelope(self) -> None:
        raw = b"From: a@b.example\r\nSubject: \xe9t\xe9\r\n\r\n\xff\xfe binary-ish\r\n"
        body, ctype = multipart(signed([("recipient", "support@msp.example"),
                                        ("sender", "Bounce@Acme.example"), ("body-mime", raw)]))
        delivery = hook().receive(request(body, ctype)).deliveries[0]
        assert delivery.raw == raw
        assert (delivery.envelope_from, delivery.envelope_to) == ("bounce@acme.example",
                                                                   ("support@msp.example",))
        assert delivery.provider_event_id == "t" * 50

    def test_the_parsed_form_becomes_the_same_document_as_the_raw_message(self) -> None:
        reference = reference_message()
        body, ctype = multipart(signed(mailgun_fields(split(reference))))
        delivery = hook().receive(request(body, ctype)).deliveries[0]
        assert document(delivery.raw) == document(reference)
        assert (delivery.spam_score, delivery.spam_verdict) == (0.3, "not_spam")

    def test_every_message_header_is_kept_in_order(self) -> None:
        parts = split(reference_message())
        body, ctype = multipart(signed(mailgun_fields(parts)))
        raw = hook().receive(request(body, ctype)).deliveries[0].raw
        head = raw.split(b"\r\n\r\n", 1)[0].decode()
        names = [line.split(":")[0] for line in head.split("\r\n") if not line.startswith(" ")]
        expected = [n for n, _ in parts.headers if n != "Content-Type"]
        assert names[:len(expected)] == expected
        assert "X-Mailgun-Sflag" in names

    def test_a_json_tracking_webhook_is_refused_as_malformed(self) -> None:
        with pytest.raises(MalformedPayload, match="tracking"):
            hook().receive(request(b'{"signature": {}}', "application/json"))

    def test_a_signed_form_without_a_message_is_malformed(self) -> None:
        body, ctype = urlencoded(signed([("recipient", "a@b.example")]))
        with pytest.raises(MalformedPayload):
            hook().receive(request(body, ctype))

    @pytest.mark.parametrize("field", ["message-url", "attachments"])
    def test_a_store_notification_is_refused_rather_than_filed_without_its_files(
            self, field: str) -> None:
        # Mailgun store(notify): the parsed text, and the message and files only as links.
        value = ("https://storage.eu.mailgun.net/v3/domains/msp.example/messages/AgEF"
                 if field == "message-url" else
                 '[{"url": "https://storage.eu.mailgun.net/v3/x/attachments/0", '
                 '"content-type": "image/png", "name": "screen.png", "size": 1024}]')
        body, ctype = urlencoded(signed([("body-plain", "see the screenshot"),
                                         ("message-headers", '[["From", "a@b.example"]]'),
                                         (field, value)]))
        with pytest.raises(MalformedPayload, match="store\\(notify\\)"):
            hook().receive(request(body, ctype))
