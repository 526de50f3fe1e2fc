"""Amazon SES receipt rules through an SNS HTTPS subscription.

Quirks (docs/providers.md, Amazon SES; sources there):
* SNS posts JSON as `text/plain` [SNS-prepare]; the SES notification is a JSON *string* inside
  the SNS envelope's `Message`.
* Trust comes from the SNS signature (adapters.inbound.sns) plus a topic allow-list: anyone can
  create a topic whose messages AWS signs, so the signature alone proves nothing about whether
  the topic is ours [AM-ses]. Subscriptions are confirmed only for allowed topics.
* Every 4xx is a permanent failure for SNS, and 5xx is retried for at most an hour
  [SNS-delivery]: an unreachable certificate host is a 5xx, a wrong signature a 403.
* The SNS action puts the message in `content`, as UTF-8 or Base64; the spelling of the encoding
  varies (`UTF-8`/`UTF8`, `Base64`/`BASE64`) [SES-sns][AM-ses-test], so it is normalized.
* The S3 action leaves `content` out; fetching from S3 is not supported, and said so clearly.
* `mail.messageId` is SES's id of the message: the event id [SNS-prepare][AM-ses].
* SNS retries a delivery for at most an hour [SNS-delivery], and every retry carries the
  original signed `Timestamp`: a notification older than that window (`max_age_seconds`,
  default 3600 s) is no retry but a replay of a captured request, and is refused (403).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.inbound.base import (
    EXAMPLE_MESSAGE,
    InboundWebhook,
    Provider,
    WebhookRequest,
    WebhookResult,
    envelope_recipients,
    envelope_sender,
    load_json,
    load_json_body,
    text_bytes,
)
from adapters.inbound.sns import SnsHttp, SnsVerifier, is_sns_url
from domain.errors import Forbidden, MalformedPayload
from domain.messages import NOT_SPAM, SPAM, InboundDelivery
from domain.settings import SettingSpec

log = logging.getLogger(__name__)
_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")


class SesWebhook(InboundWebhook[dict[str, Any]]):
    provider = "ses"

    def __init__(self, topic_arns: Iterable[str], http: SnsHttp, *,
                 max_age_seconds: float = 3600.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._topics = frozenset(t.strip() for t in topic_arns if t.strip())
        self._http = http
        self._verifier = SnsVerifier(http)
        self._max_age = max_age_seconds
        self._clock = clock

    def precheck(self, headers: Mapping[str, str]) -> None:
        if not self._topics:
            raise Forbidden("no SNS topic is allowed (CONNECTOR_SES_TOPIC_ARNS)")
        topic = headers.get("x-amz-sns-topic-arn")  # SNS names the topic in a header too
        if topic is not None and topic not in self._topics:
            raise Forbidden("this SNS topic is not allowed (CONNECTOR_SES_TOPIC_ARNS)")

    def decode(self, request: WebhookRequest) -> dict[str, Any]:
        message = load_json_body(request, "the SNS message")
        if not isinstance(message, dict) or message.get("Type") not in _TYPES:
            raise MalformedPayload("not an SNS message (Type missing or unknown)")
        declared = request.header("x-amz-sns-message-type")
        if declared is not None and declared != message["Type"]:
            raise MalformedPayload("x-amz-sns-message-type does not match the message Type")
        return message

    def verify(self, request: WebhookRequest, payload: dict[str, Any]) -> None:
        # The allow-list first: an unknown topic costs no certificate fetch.
        if not self._topics:
            raise Forbidden("no SNS topic is allowed (CONNECTOR_SES_TOPIC_ARNS)")
        if payload.get("TopicArn") not in self._topics:
            raise Forbidden("the SNS topic is not in CONNECTOR_SES_TOPIC_ARNS")
        if payload["Type"] == "Notification":
            check_fresh(payload.get("Timestamp"), now=self._clock(), max_age=self._max_age)
        self._verifier.verify(payload)

    def deliveries(self, request: WebhookRequest, payload: dict[str, Any]) -> WebhookResult:
        kind = payload["Type"]
        if kind == "SubscriptionConfirmation":
            url = payload.get("SubscribeURL")
            if not isinstance(url, str) or not is_sns_url(url):
                raise MalformedPayload("SubscribeURL is not an https URL on an SNS host")
            self._http.get(url)
            log.info("confirmed the SNS subscription to %s", payload.get("TopicArn"))
            return WebhookResult(note="subscription confirmed")
        if kind == "UnsubscribeConfirmation":
            return WebhookResult(note="unsubscribe confirmation ignored")
        return parse_notification(payload)


FUTURE_SKEW_SECONDS = 300


def check_fresh(stamp: Any, *, now: float, max_age: float) -> None:
    """Forbidden unless the (signed) SNS Timestamp lies within SNS's own retry window."""
    if not isinstance(stamp, str) or not 10 <= len(stamp) <= 40 or not stamp.isascii():
        raise Forbidden("the SNS notification has no valid Timestamp")
    try:
        sent = datetime.fromisoformat(stamp.strip())
    except ValueError:
        raise Forbidden("the SNS notification has no valid Timestamp") from None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    age = now - sent.timestamp()
    if age > max_age:
        raise Forbidden(f"the SNS notification is {int(age)} s old, older than SNS retries "
                        f"({int(max_age)} s): refused as a replay")
    if age < -FUTURE_SKEW_SECONDS:
        raise Forbidden("the SNS notification Timestamp lies in the future")


def parse_notification(envelope: dict[str, Any]) -> WebhookResult:
    text = envelope.get("Message")
    notification = load_json(text, "the SES notification") if isinstance(text, str) else None
    if not isinstance(notification, dict):
        # e.g. "Successfully validated SNS topic for Amazon SES event publishing." [AM-ses]
        return WebhookResult(note="not an SES notification; ignored")
    kind = notification.get("notificationType") or notification.get("eventType")
    if kind == "AmazonSnsSubscriptionSucceeded":
        return WebhookResult(note="SES subscription notice ignored")
    if kind != "Received":
        raise MalformedPayload(f"a {kind!r} notification was sent to the inbound URL; "
                               "use a separate topic for sending events")
    return WebhookResult([parse_received(notification)])


def parse_received(notification: dict[str, Any]) -> InboundDelivery:
    mail = notification.get("mail") if isinstance(notification.get("mail"), dict) else {}
    receipt = notification.get("receipt") if isinstance(notification.get("receipt"), dict) else {}
    action = receipt.get("action") if isinstance(receipt.get("action"), dict) else {}
    content = notification.get("content")
    if not isinstance(content, str):
        if str(action.get("type", "")).upper() == "S3":
            log.warning("SES message %s uses the S3 action, which is not supported",
                        mail.get("messageId"))
            raise MalformedPayload("S3 action not supported: use the SNS action (Base64 "
                                   "encoding) in the SES receipt rule")
        raise MalformedPayload("the SES notification carries no content")
    encoding = str(action.get("encoding", "UTF8")).upper().replace("-", "")
    if encoding == "BASE64":
        try:
            raw = base64.b64decode(content, validate=False)
        except (binascii.Error, ValueError):
            raise MalformedPayload("the SES content is not valid base64") from None
    else:
        raw = text_bytes(content)
    recipients = receipt.get("recipients")
    return InboundDelivery(
        raw=raw,
        source="ses",
        envelope_from=envelope_sender(mail.get("source") if isinstance(mail.get("source"), str)
                                      else None),
        envelope_to=envelope_recipients(
            [str(r) for r in recipients] if isinstance(recipients, list) else []),
        provider_event_id=str(mail.get("messageId") or "") or None,
        spam_verdict=_verdict(receipt.get("spamVerdict")),
    )


def _verdict(value: Any) -> str | None:
    status = str(value.get("status", "")).upper() if isinstance(value, dict) else ""
    return {"PASS": NOT_SPAM, "FAIL": SPAM}.get(status)  # GRAY, PROCESSING_FAILED: no verdict


PROVIDER = Provider(
    name="ses", paths=("/inbound/ses",),
    summary="Amazon SES receipt rule (SNS action) through an SNS HTTPS subscription.",
    build=lambda s, ports: SesWebhook((s.ses_topic_arns or "").split(","), ports.sns,
                                      max_age_seconds=s.ses_max_age_seconds),
    auth="signature", media_types=("text/plain", "application/json"), answer="one_or_note",
    errors=(400, 403),
    settings=(
        SettingSpec("ses_topic_arns", str | None, None, "allowed SNS topics (comma-separated)",
                    "providers", runtime=True),
        # SNS retries for at most an hour (its delivery policy): an older notification is a replay.
        SettingSpec("ses_max_age_seconds", int, 3600, "accepted age of an SNS notification",
                    "providers", runtime=True, minimum=60, maximum=7 * 86400),
    ),
    # An SNS notification is at most 256 KB (an SES SNS action carries messages up to 150 KB).
    max_request_bytes=512 * 1024,
    payload="An SNS HTTPS notification (sent as text/plain): its Message is the SES receipt "
    "notification as a JSON string, with mail.source and receipt.recipients (the envelope), "
    "mail.messageId (the event id), the spam verdict, and content (the raw message, Base64 or "
    "UTF-8: the receipt rule's SNS action; S3 actions are not supported). A "
    "SubscriptionConfirmation for an allowed topic is confirmed and answered "
    "{\"status\": \"confirmed\"}.",
    credential="The SNS signature (Signature, SignatureVersion 1: SHA1 or 2: SHA256, with the "
    "certificate at SigningCertURL on an sns.<region>.amazonaws.com host), a TopicArn listed in "
    "CONNECTOR_SES_TOPIC_ARNS, and a Timestamp within CONNECTOR_SES_MAX_AGE_SECONDS.",
    example={
        "Type": "Notification", "MessageId": "8f6dee70-c885-558a-be7d-bd48bbf5335e",
        "TopicArn": "arn:aws:sns:us-east-1:111111111111:ses-inbound",
        "Subject": "Amazon SES Email Receipt Notification",
        "Message": json.dumps({
            "notificationType": "Received",
            "mail": {"source": "bob@acme.example", "messageId": "jili9m351il3",
                     "destination": ["support@msp.example"]},
            "receipt": {"recipients": ["support@msp.example"], "spamVerdict": {"status": "PASS"},
                        "action": {"type": "SNS", "encoding": "BASE64",
                                   "topicArn": "arn:aws:sns:us-east-1:111111111111:ses-inbound"}},
            "content": base64.b64encode(EXAMPLE_MESSAGE.encode()).decode()}),
        "Timestamp": "2026-12-02T09:30:02.000Z", "SignatureVersion": "2",
        "Signature": "<base64 RSA signature>",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123.pem"},
)
