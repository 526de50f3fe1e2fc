"""Amazon SES through SNS: signatures v1 and v2 with a test certificate, topics, content (§3.4)."""

from __future__ import annotations

import json

import pytest

from adapters.inbound.ses import SesWebhook
from adapters.inbound.sns import is_sns_url, string_to_sign
from domain.errors import Forbidden, MalformedPayload, UpstreamUnavailable
from tests.adapters.inbound.payloads import (
    CERT_URL,
    TOPIC,
    FakeSns,
    SnsSigner,
    reference_message,
    request,
    ses_notification,
    subscription_confirmation,
)


@pytest.fixture(scope="module")
def signer() -> SnsSigner:
    return SnsSigner.create()


def post(hook: SesWebhook, message: dict) -> object:
    return hook.receive(request(json.dumps(message).encode(), "text/plain; charset=UTF-8",
                                headers={"x-amz-sns-message-type": message["Type"]}))


class TestSignature:
    @pytest.mark.parametrize("version", ["1", "2"])
    def test_a_notification_signed_with_either_version_is_accepted(self, signer: SnsSigner,
                                                                   version: str) -> None:
        sns = FakeSns(signer.pem)
        result = post(SesWebhook([TOPIC], sns), signer.sign(ses_notification(b"x"), version))
        assert len(result.deliveries) == 1
        assert sns.fetched == [CERT_URL]

    def test_a_changed_message_no_longer_verifies(self, signer: SnsSigner) -> None:
        message = signer.sign(ses_notification(reference_message()))
        message["Message"] = message["Message"].replace("bounce@acme", "attacker@evil")
        with pytest.raises(Forbidden, match="does not match"):
            post(SesWebhook([TOPIC], FakeSns(signer.pem)), message)

    def test_a_certificate_off_the_sns_hosts_is_never_fetched(self, signer: SnsSigner) -> None:
        message = signer.sign(ses_notification(b"x"))
        message["SigningCertURL"] = "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem"
        sns = FakeSns(signer.pem)
        with pytest.raises(Forbidden, match="SNS host"):
            post(SesWebhook([TOPIC], sns), message)
        assert sns.fetched == []

    def test_the_certificate_is_fetched_once_and_cached(self, signer: SnsSigner) -> None:
        sns = FakeSns(signer.pem)
        hook = SesWebhook([TOPIC], sns)
        for version in ("1", "2"):
            post(hook, signer.sign(ses_notification(b"x"), version))
        assert sns.fetched == [CERT_URL]

    def test_an_unreachable_certificate_is_a_retryable_failure(self, signer: SnsSigner) -> None:
        class Down:
            def get(self, url: str) -> bytes:
                raise UpstreamUnavailable("down")
        with pytest.raises(UpstreamUnavailable):
            post(SesWebhook([TOPIC], Down()), signer.sign(ses_notification(b"x")))

    def test_the_string_to_sign_leaves_out_a_missing_subject(self) -> None:
        message = {"Type": "Notification", "MessageId": "m", "Message": "a\nb",
                   "Timestamp": "t", "TopicArn": "arn"}
        assert string_to_sign(message) == (b"Message\na\nb\nMessageId\nm\nTimestamp\nt\n"
                                           b"TopicArn\narn\nType\nNotification\n")

    def test_only_https_urls_on_sns_hosts_count_as_sns(self) -> None:
        assert is_sns_url("https://sns.eu-west-1.amazonaws.com/x.pem", path_suffix=".pem")
        assert is_sns_url("https://sns.cn-north-1.amazonaws.com.cn/x.pem", path_suffix=".pem")
        assert not is_sns_url("http://sns.eu-west-1.amazonaws.com/x.pem")
        assert not is_sns_url("https://user@sns.eu-west-1.amazonaws.com/x.pem")
        assert not is_sns_url("https://s3.amazonaws.com/x.pem")


class TestTopics:
    def test_a_topic_not_in_the_allow_list_is_refused_before_any_fetch(self, signer: SnsSigner) -> None:
        sns = FakeSns(signer.pem)
        message = signer.sign({**ses_notification(b"x"), "TopicArn": "arn:aws:sns:x:1:Other"})
        with pytest.raises(Forbidden, match="TOPIC_ARNS"):
            post(SesWebhook([TOPIC], sns), message)
        assert sns.fetched == []

    def test_a_subscription_to_an_allowed_topic_is_confirmed(self, signer: SnsSigner) -> None:
        sns = FakeSns(signer.pem)
        result = post(SesWebhook([TOPIC], sns), signer.sign(subscription_confirmation()))
        assert result.note == "subscription confirmed" and not result.deliveries
        assert sns.fetched[-1].startswith("https://sns.us-east-1.amazonaws.com/?Action=Confirm")

    def test_a_subscription_to_another_topic_is_not_confirmed(self, signer: SnsSigner) -> None:
        sns = FakeSns(signer.pem)
        with pytest.raises(Forbidden):
            post(SesWebhook([TOPIC], sns), signer.sign(subscription_confirmation("arn:x:1:Other")))
        assert sns.fetched == []


class TestContent:
    def test_base64_content_is_the_raw_message_byte_exact(self, signer: SnsSigner) -> None:
        raw = reference_message() + b"\xff\xfe not utf-8\r\n"
        (delivery,) = post(SesWebhook([TOPIC], FakeSns(signer.pem)),
                           signer.sign(ses_notification(raw, spam="FAIL"))).deliveries
        assert delivery.raw == raw
        assert (delivery.envelope_from, delivery.envelope_to) == ("bounce@acme.example",
                                                                   ("support@msp.example",))
        assert delivery.provider_event_id == "jili9m351il3"
        assert delivery.spam_verdict == "spam"

    def test_utf8_content_is_the_raw_message(self, signer: SnsSigner) -> None:
        raw = "From: a@b.example\r\nSubject: Grüße\r\n\r\nhé\r\n".encode()
        (delivery,) = post(SesWebhook([TOPIC], FakeSns(signer.pem)),
                           signer.sign(ses_notification(raw, encoding="UTF8"))).deliveries
        assert delivery.raw == raw

    def test_the_s3_action_is_reported_as_not_supported(self, signer: SnsSigner) -> None:
        message = signer.sign(ses_notification(b"", with_content=False))
        with pytest.raises(MalformedPayload, match="S3 action not supported"):
            post(SesWebhook([TOPIC], FakeSns(signer.pem)), message)

    def test_a_header_that_contradicts_the_body_type_is_malformed(self, signer: SnsSigner) -> None:
        body = json.dumps(signer.sign(ses_notification(b"x"))).encode()
        with pytest.raises(MalformedPayload):
            SesWebhook([TOPIC], FakeSns(signer.pem)).receive(request(
                body, "text/plain", headers={"x-amz-sns-message-type": "SubscriptionConfirmation"}))

