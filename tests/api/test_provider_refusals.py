"""Provider webhooks through HTTP: refusals store nothing, statuses per provider, duplicates, sizes."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.entrypoints.web import create_app
from domain.errors import StorageUnavailable
from tests.adapters.inbound.payloads import (
    SnsSigner,
    multipart,
    reference_message,
    ses_notification,
    subscription_confirmation,
    urlencoded,
)
from tests.api.conftest import BASIC, make_settings
from tests.api.test_providers import (  # noqa: F401  (fixtures)
    SIGNER,
    Hooks,
    _mailgun_fields,
    hooks,
    inbound_id,
    post_mandrill,
    post_postmark,
    post_resend,
    post_sendgrid,
    post_ses,
    post_sparkpost,
)
from tests.conftest import SmtpSink

WRONG_BASIC = "Basic " + base64.b64encode(b"inbound:guess").decode()


def mailgun_mime(hooks: Hooks, *, token: str, at: float | None = None,
                 key_fields: list | None = None) -> object:
    fields = key_fields or _mailgun_fields([("body-mime", reference_message())], token, at)
    body, ctype = urlencoded(fields)
    return hooks.client.post("/inbound/mailgun/mime", content=body, headers={"Content-Type": ctype})


class TestRefusedWithNothingStored:
    @pytest.mark.parametrize("send, status", [
        (lambda h, r: post_sendgrid(h, r, auth=WRONG_BASIC), 401),
        (lambda h, r: h.client.post("/inbound/postmark", json={"RawEmail": r.decode()}), 401),
        (lambda h, r: post_ses(h, r, message={**SIGNER.sign(ses_notification(r)), "Signature":
                                              SnsSigner.create().sign(ses_notification(r))["Signature"]}), 403),
        (lambda h, r: post_ses(h, r, message=SIGNER.sign(
            {**ses_notification(r), "TopicArn": "arn:aws:sns:us-east-1:1:Other"})), 403),
        (lambda h, r: post_mandrill(h, r, key="not-the-key"), 401),
        (lambda h, r: post_sparkpost(h, r, token="guess"), 401),
        (lambda h, r: post_resend(h, r, secret="whsec_" + base64.b64encode(b"x" * 24).decode()), 401),
    ], ids=["sendgrid wrong basic", "postmark no basic", "ses foreign certificate",
            "ses unknown topic", "mandrill wrong key", "sparkpost wrong token", "resend wrong secret"])
    def test_a_bad_credential_or_signature_is_refused(self, hooks: Hooks, send, status) -> None:
        response = send(hooks, reference_message())
        assert response.status_code == status, response.text
        assert hooks.stored() == 0

    def test_a_bad_mailgun_signature_is_refused_with_401(self, hooks: Hooks) -> None:
        stamp, token = str(int(time.time())), "a" * 50
        fields = [("body-mime", "From: a@b.example\r\n\r\nx"), ("timestamp", stamp),
                  ("token", token), ("signature", "0" * 64)]
        assert mailgun_mime(hooks, token=token, key_fields=fields).status_code == 401
        assert hooks.stored() == 0

    def test_a_stale_mailgun_timestamp_is_refused_with_401(self, hooks: Hooks) -> None:
        response = mailgun_mime(hooks, token="b" * 50, at=time.time() - 9 * 3600)
        assert response.status_code == 401
        assert hooks.stored() == 0

    def test_a_replayed_mailgun_token_is_refused_with_406_so_mailgun_stops(self, hooks: Hooks) -> None:
        assert mailgun_mime(hooks, token="c" * 50).status_code == 200
        replay = mailgun_mime(hooks, token="c" * 50)
        assert replay.status_code == 406 and "replayed" in replay.json()["detail"]
        assert hooks.stored() == 1


class TestStatuses:
    def test_a_malformed_mailgun_post_is_406_which_mailgun_does_not_retry(self, hooks: Hooks) -> None:
        body, ctype = urlencoded(_mailgun_fields([("recipient", "support@msp.example")]))
        response = hooks.client.post("/inbound/mailgun", content=body, headers={"Content-Type": ctype})
        assert response.status_code == 406

    def test_a_mailgun_store_notification_is_406_with_the_reason_and_nothing_stored(
            self, hooks: Hooks) -> None:
        # The shape of Mailgun's store(notify=...) POST: parsed fields, the files as links.
        links = [{"url": "https://storage-us-east4.api.mailgun.net/v3/domains/msp.example/"
                  "messages/AgEF/attachments/0", "content-type": "application/pdf",
                  "name": "invoice.pdf", "size": 48213}]
        body, ctype = urlencoded(_mailgun_fields([
            ("recipient", "support@msp.example"), ("from", "Bob <bob@acme.example>"),
            ("subject", "Invoice"), ("body-plain", "See the attached invoice."),
            ("message-headers", json.dumps([["From", "Bob <bob@acme.example>"]])),
            ("attachments", json.dumps(links)),
            ("message-url", "https://storage-us-east4.api.mailgun.net/v3/domains/msp.example/"
             "messages/AgEF")], "d" * 50))
        response = hooks.client.post("/inbound/mailgun", content=body, headers={"Content-Type": ctype})
        assert response.status_code == 406
        assert "store(notify)" in response.json()["detail"]
        assert "forward()" in response.json()["detail"]
        assert hooks.stored() == 0

    def test_a_malformed_postmark_post_is_403_which_stops_postmark_retrying(self, hooks: Hooks) -> None:
        response = hooks.client.post("/inbound/postmark", content=b"not json", headers={
            "Authorization": BASIC, "Content-Type": "application/json"})
        assert response.status_code == 403

    def test_storage_down_is_503_and_the_mailgun_retry_is_accepted_once_it_is_back(
            self, hooks: Hooks, monkeypatch: pytest.MonkeyPatch) -> None:
        ingest = hooks.client.app.state.process.services.ingest

        async def down(delivery: object, replay: object = None) -> object:
            raise StorageUnavailable("database unavailable: disk I/O error")
        with monkeypatch.context() as patch:
            patch.setattr(ingest, "submit", down)
            assert mailgun_mime(hooks, token="d" * 50).status_code == 503
        assert mailgun_mime(hooks, token="d" * 50).status_code == 200

    def test_an_s3_action_notification_is_a_clear_permanent_error(self, hooks: Hooks) -> None:
        message = SIGNER.sign(ses_notification(b"", with_content=False))
        response = post_ses(hooks, b"", message=message)
        assert response.status_code == 400 and "S3 action not supported" in response.json()["detail"]

    def test_an_sns_subscription_to_an_allowed_topic_is_confirmed(self, hooks: Hooks) -> None:
        response = post_ses(hooks, b"", message=SIGNER.sign(subscription_confirmation()))
        assert response.json() == {"status": "confirmed", "detail": "subscription confirmed"}
        assert "Action=ConfirmSubscription" in hooks.sns.fetched[-1]

    def test_mandrill_can_check_the_url_with_head(self, hooks: Hooks) -> None:
        assert hooks.client.head("/inbound/mandrill").status_code == 200


class TestRecorded:
    def test_envelope_spam_verdict_and_event_id_are_recorded_on_the_message(self, hooks: Hooks) -> None:
        message = SIGNER.sign(ses_notification(reference_message(), spam="FAIL"))
        stored = hooks.get(f"/api/v1/inbound-messages/{inbound_id(post_ses(hooks, b'', message=message))}")
        assert stored["source"] == "ses"
        assert stored["envelope_from"] == "bounce@acme.example"
        assert stored["envelope_to"] == ["support@msp.example"]
        assert stored["spam_verdict"] == "spam"

    def test_the_same_provider_event_id_again_is_a_duplicate(self, hooks: Hooks) -> None:
        first = inbound_id(post_postmark(hooks, reference_message(), message_id="pm-1"))
        other = reference_message(message_id="<other@acme.example>")  # not the same Message-ID
        again = post_postmark(hooks, other, message_id="pm-1").json()
        assert (again["status"], again["duplicate_of"]) == ("duplicate", first)

    def test_a_mailgun_body_mime_over_1_mb_is_stored_byte_exact(self, hooks: Hooks) -> None:
        hooks.patch("/api/v1/connector", {"status": "off"})  # stored is enough; not processed
        raw = reference_message().replace(b"Bob\r\n", b"Bob\r\n" + b"\xe9\xff\r\n" * 400_000, 1)
        body, ctype = multipart(_mailgun_fields([("body-mime", raw)]))
        response = hooks.client.post("/inbound/mailgun/mime", content=body,
                                     headers={"Content-Type": ctype})
        assert hooks.raw_of(inbound_id(response)) == raw

    def test_a_sendgrid_raw_email_of_30_mb_is_stored_byte_exact(self, hooks: Hooks) -> None:
        hooks.patch("/api/v1/connector", {"status": "off"})  # stored is enough; not processed
        raw = reference_message().replace(b"Bob\r\n", b"Bob\r\n" + b"\xe9\xff=\r\n" * 7_500_000, 1)
        assert len(raw) > 30_000_000
        assert hooks.raw_of(inbound_id(post_sendgrid(hooks, raw, send_raw=True))) == raw


def test_a_message_above_the_message_limit_is_413_while_the_json_around_it_may_be_larger(
        tmp_path: Path, smtp: SmtpSink, database_url: str) -> None:
    settings = make_settings(tmp_path, smtp, database_url=database_url, max_message_bytes=300_000)
    with TestClient(create_app(settings)) as client:
        hooks = Hooks(client, None, {})  # type: ignore[arg-type]
        fits = reference_message().replace(b"Bob\r\n", b"Bob\r\n" + b"x" * 200_000, 1)
        too_big = reference_message().replace(b"Bob\r\n", b"Bob\r\n" + b"x" * 400_000, 1)
        accepted = post_postmark(hooks, fits, with_raw=True)  # RawEmail + Attachments > limit
        assert int(accepted.request.headers["content-length"]) > 300_000
        assert accepted.status_code == 200
        refused = post_postmark(hooks, too_big, with_raw=True, message_id="pm-2")
        assert refused.status_code == 413
        assert json.loads(client.get("/api/v1/inbound-messages", headers=hooks.headers).text)["total"] == 1


def test_sparkpost_without_a_token_setting_requires_the_basic_credentials(api) -> None:  # type: ignore[no-untyped-def]
    response = api.client.post("/inbound/sparkpost", json=[], headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert api.get("/api/v1/inbound-messages")["total"] == 0
