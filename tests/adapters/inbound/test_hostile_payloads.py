"""Hostile input on every inbound adapter (issue 15 item 5): refused clearly, never a crash."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters.inbound.base import load_json, safe_id
from adapters.inbound.brevo import BrevoApi, BrevoWebhook
from adapters.inbound.mailgun import MailgunWebhook, check_signature, mailgun_signature
from adapters.inbound.mailjet import MailjetWebhook
from adapters.inbound.mandrill import MandrillWebhook, mandrill_signature
from adapters.inbound.postmark import PostmarkWebhook
from adapters.inbound.resend import ResendApi, ResendWebhook, svix_signature, verify_svix
from adapters.inbound.sendgrid import SendgridWebhook
from adapters.inbound.ses import SesWebhook
from adapters.inbound.sns import HttpxSnsHttp, is_sns_url
from adapters.inbound.sparkpost import SparkpostWebhook
from domain.errors import Forbidden, MalformedPayload, Unauthorized
from tests.adapters.inbound.payloads import (
    TOPIC,
    FakeSns,
    SnsSigner,
    multipart,
    reference_message,
    request,
    sendgrid_fields,
    ses_notification,
    split,
    urlencoded,
)

DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
SVIX_SECRET = "whsec_cmVzZW5kLWluYm91bmQtc2lnbmluZy1zZWNyZXQhIQ=="
MAILGUN_KEY = "key-test-signing"
MANDRILL_KEY, MANDRILL_URL = "1l9Qf7lutEf7h73VXfBwhw", "https://connector.example/inbound/mandrill"


@pytest.fixture(scope="module")
def signer() -> SnsSigner:
    return SnsSigner.create()


def no_http() -> httpx.Client:
    def handler(req: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request may be made: {req.url}")
    return httpx.Client(transport=httpx.MockTransport(handler))


def svix_headers(body: bytes, msg_id: str = "msg_1") -> dict[str, str]:
    stamp = str(int(time.time()))
    return {"svix-id": msg_id, "svix-timestamp": stamp,
            "svix-signature": "v1," + svix_signature(SVIX_SECRET, msg_id, stamp, body)}


def mailgun_form(fields: list) -> tuple[bytes, str]:
    stamp, token = str(int(time.time())), "t" * 50
    return multipart(fields + [("timestamp", stamp), ("token", token),
                               ("signature", mailgun_signature(MAILGUN_KEY, stamp, token))])


def mandrill_post(events: bytes) -> object:
    fields = [("mandrill_events", events.decode())]
    body, ctype = urlencoded(fields)
    signature = mandrill_signature(MANDRILL_KEY, MANDRILL_URL, fields)
    return MandrillWebhook(MANDRILL_KEY, MANDRILL_URL).receive(request(
        body, ctype, url=MANDRILL_URL, headers={"X-Mandrill-Signature": signature}))


class TestDeeplyNestedJson:
    @pytest.mark.parametrize("data", [DEEP, DEEP_OBJECT, DEEP.decode()])
    def test_load_json_says_malformed(self, data: bytes | str) -> None:
        with pytest.raises(MalformedPayload, match="nested too deeply"):
            load_json(data, "the payload")

    @pytest.mark.parametrize("post", [
        lambda body: PostmarkWebhook().receive(request(body, "application/json")),
        lambda body: MailjetWebhook().receive(request(body, "application/json")),
        lambda body: SparkpostWebhook("tok").receive(request(
            body, "application/json", headers={"X-MessageSystems-Webhook-Token": "tok"})),
        lambda body: BrevoWebhook(BrevoApi(no_http(), "k")).receive(request(body, "application/json")),
        lambda body: ResendWebhook(SVIX_SECRET, ResendApi(no_http(), "k")).receive(
            request(body, "application/json", headers=svix_headers(body))),
        lambda body: SesWebhook([TOPIC], FakeSns(b"")).receive(request(body, "text/plain")),
        mandrill_post,
    ], ids=["postmark", "mailjet", "sparkpost", "brevo", "resend", "ses", "mandrill"])
    def test_every_json_provider_refuses_it_as_malformed(self, post: Callable[[bytes], object]) -> None:
        with pytest.raises(MalformedPayload):
            post(DEEP)

    @pytest.mark.parametrize("field", ["content-id-map", "message-headers"])
    def test_mailgun_json_fields(self, field: str) -> None:
        body, ctype = mailgun_form([("recipient", "support@msp.example"), ("sender", "a@b.example"),
                                    ("body-plain", "hi"), (field, DEEP.decode())])
        hook = MailgunWebhook(MAILGUN_KEY, max_age_seconds=3600)
        with pytest.raises(MalformedPayload):
            hook.receive(request(body, ctype))

    @pytest.mark.parametrize("field", ["attachment-info", "content-ids", "charsets"])
    def test_sendgrid_json_fields(self, field: str) -> None:
        fields = [f for f in sendgrid_fields(split(reference_message())) if f[0] != field]
        body, ctype = multipart(fields + [(field, DEEP.decode())])
        with pytest.raises(MalformedPayload):
            SendgridWebhook().receive(request(body, ctype))

    def test_an_ses_notification_nested_deeply_inside_a_signed_envelope(self, signer: SnsSigner) -> None:
        message = signer.sign({**ses_notification(b"x"), "Message": DEEP.decode()})
        with pytest.raises(MalformedPayload):
            SesWebhook([TOPIC], FakeSns(signer.pem)).receive(
                request(json.dumps(message).encode(), "text/plain"))


class TestSnsUrls:
    @pytest.mark.parametrize("url", [
        "https://sns.us-east-1.amazonaws.com/cert\x00.pem",
        "https://sns.us-east-1.amazonaws.com/ce\x7frt.pem",
        "https://sns.us-east-1.amazonaws.com/ce rt.pem",
        "https://sns.us-east-1.amazonaws.com\n.evil.example/cert.pem",
        "https://sns.us-east-1.amazonaws.com/c\u00e9rt.pem",
        "https://sns.us-east-1.amazonaws.com:99999/cert.pem",
        "https://sns.us-east-1.amazonaws.com:x/cert.pem",
        "https://[sns.us-east-1.amazonaws.com/cert.pem",
    ])
    def test_a_cert_url_with_control_characters_or_a_bad_port_is_refused(
            self, signer: SnsSigner, url: str) -> None:
        assert not is_sns_url(url, path_suffix=".pem")
        message = {**signer.sign(ses_notification(b"x")), "SigningCertURL": url}
        sns = FakeSns(signer.pem)
        with pytest.raises(Forbidden):
            SesWebhook([TOPIC], sns).receive(request(json.dumps(message).encode(), "text/plain"))
        assert sns.fetched == []

    def test_the_http_port_itself_refuses_a_bad_url(self) -> None:
        with pytest.raises(Forbidden):
            HttpxSnsHttp(no_http()).get("https://sns.us-east-1.amazonaws.com/c\x00ert.pem")


class TestDigits:
    @pytest.mark.parametrize("suffix", ["\u00b2", "\u0663", "\uff11", "1\u00b9"])
    def test_sendgrid_attachment_fields_with_unicode_digits_are_no_attachments(self, suffix: str) -> None:
        fields = sendgrid_fields(split(reference_message()))
        body, ctype = multipart(fields + [(f"attachment{suffix}", ("x.bin", "application/octet-stream",
                                                                   b"data"))])
        delivery = SendgridWebhook().receive(request(body, ctype)).deliveries[0]
        assert b"x.bin" not in delivery.raw

    def test_mailgun_attachment_fields_and_count_with_unicode_digits(self) -> None:
        body, ctype = mailgun_form([
            ("recipient", "support@msp.example"), ("sender", "a@b.example"), ("body-plain", "hi"),
            ("attachment-count", "\u00b2"),
            ("attachment-\u00b2", ("x.bin", "application/octet-stream", b"data"))])
        hook = MailgunWebhook(MAILGUN_KEY, max_age_seconds=3600)
        assert b"x.bin" not in hook.receive(request(body, ctype)).deliveries[0].raw

    @pytest.mark.parametrize("stamp", ["\u00b2", "\u0661\u0667\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660",
                                       " 1700000000", "1_700_000_000", "9" * 5000])
    def test_odd_timestamps_are_unauthorized_not_a_crash(self, stamp: str) -> None:
        headers = {"svix-id": "msg_1", "svix-timestamp": stamp, "svix-signature": "v1,x"}
        with pytest.raises(Unauthorized):
            verify_svix(SVIX_SECRET, request(b"{}", "application/json", headers=headers), now=time.time())
        with pytest.raises(Unauthorized):
            check_signature(MAILGUN_KEY, stamp, "t" * 50, mailgun_signature(MAILGUN_KEY, stamp, "t" * 50),
                            now=time.time(), max_age=3600)


class TestIdsInUrls:
    @pytest.mark.parametrize("bad", [".", "..", "...", "a/b", "../admin", "a%2Fb", "a?b", "a#b",
                                     "a\x00", "", " ", "é", "x" * 513, None, 7])
    def test_only_plain_ids_pass(self, bad: object) -> None:
        with pytest.raises(MalformedPayload):
            safe_id(bad, "the id")

    @pytest.mark.parametrize("good", ["56761188-7520-42d8-8898-ff6fc54ce618", "download-token-image",
                                      "AbC_d~e=f+g.h", "a..b"])
    def test_real_ids_pass(self, good: str) -> None:
        assert safe_id(good, "the id") == good

    @pytest.mark.parametrize("email_id", [".", "..", "../../domains", "a/b"])
    def test_resend_never_fetches_a_dot_segment(self, email_id: str) -> None:
        body = json.dumps({"type": "email.received", "data": {"email_id": email_id}}).encode()
        hook = ResendWebhook(SVIX_SECRET, ResendApi(no_http(), "k"))
        with pytest.raises(MalformedPayload, match="email_id"):
            hook.receive(request(body, "application/json", headers=svix_headers(body)))
        with pytest.raises(MalformedPayload):
            ResendApi(no_http(), "k").raw_message(email_id)

    @pytest.mark.parametrize("token", [".", "..", "../../account", "a/b", 5])
    def test_brevo_never_fetches_a_dot_segment(self, token: object) -> None:
        item = {"Uuid": ["u1"], "Subject": "x", "RawTextBody": "hi",
                "From": {"Address": "a@b.example"},
                "Attachments": [{"Name": "x.png", "ContentType": "image/png", "DownloadToken": token}]}
        body = json.dumps({"items": [item]}).encode()
        with pytest.raises(MalformedPayload, match="DownloadToken"):
            BrevoWebhook(BrevoApi(no_http(), "k")).receive(request(body, "application/json"))
        if isinstance(token, str):
            with pytest.raises(MalformedPayload):
                BrevoApi(no_http(), "k").attachment(token)


class TestSnsReplayWindow:
    def stamped(self, signer: SnsSigner, age: timedelta) -> bytes:
        at = (datetime.now(UTC) - age).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return json.dumps(signer.sign({**ses_notification(b"x"), "Timestamp": at})).encode()

    def test_a_notification_within_the_hour_is_accepted(self, signer: SnsSigner) -> None:
        hook = SesWebhook([TOPIC], FakeSns(signer.pem))
        body = self.stamped(signer, timedelta(minutes=59))
        assert len(hook.receive(request(body, "text/plain")).deliveries) == 1

    @pytest.mark.parametrize("age", [timedelta(minutes=61), timedelta(days=3), timedelta(minutes=-10)])
    def test_one_outside_sns_retry_window_is_refused_as_a_replay(self, signer: SnsSigner,
                                                                 age: timedelta) -> None:
        sns = FakeSns(signer.pem)
        with pytest.raises(Forbidden):
            SesWebhook([TOPIC], sns).receive(request(self.stamped(signer, age), "text/plain"))
        assert sns.fetched == []  # refused before any certificate fetch

    def test_the_window_is_a_constructor_parameter(self, signer: SnsSigner) -> None:
        body = self.stamped(signer, timedelta(minutes=20))
        with pytest.raises(Forbidden, match="replay"):
            SesWebhook([TOPIC], FakeSns(signer.pem), max_age_seconds=600).receive(
                request(body, "text/plain"))
        later = SesWebhook([TOPIC], FakeSns(signer.pem), max_age_seconds=7200,
                           clock=lambda: time.time() + 3600)
        assert len(later.receive(request(self.stamped(signer, timedelta(0)), "text/plain")).deliveries) == 1

    @pytest.mark.parametrize("stamp", [None, "", "yesterday", "2026-13-45T00:00:00Z", 12345,
                                       "2026-11-27T10:00:02.516Z\x00"])
    def test_a_missing_or_bad_timestamp_is_refused(self, signer: SnsSigner, stamp: object) -> None:
        message = {k: v for k, v in ses_notification(b"x").items() if k != "Timestamp"}
        if stamp is not None:
            message["Timestamp"] = stamp
        body = json.dumps(signer.sign(message)).encode()
        with pytest.raises(Forbidden):
            SesWebhook([TOPIC], FakeSns(signer.pem)).receive(request(body, "text/plain"))
