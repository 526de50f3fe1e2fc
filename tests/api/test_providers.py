"""Provider webhooks end to end: each payload is processed exactly like the raw message.

A second app (`reference`) receives the raw message on /inbound/raw; the provider's payload goes
to the webhook app (`hooks`); both must give the same outcome, ticket, document and attachments.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from adapters.inbound.base import ProviderPorts
from adapters.inbound.mailgun import mailgun_signature
from adapters.inbound.mandrill import mandrill_signature
from adapters.inbound.resend import svix_signature
from api.entrypoints.web import create_app
from tests.adapters.inbound.payloads import (
    TOPIC,
    FakeSns,
    SnsSigner,
    brevo_item,
    mailgun_fields,
    mailjet_payload,
    multipart,
    postmark_payload,
    reference_message,
    sendgrid_fields,
    ses_notification,
    split,
    urlencoded,
)
from tests.api.conftest import BASIC, Api, make_settings
from tests.conftest import SmtpSink

MAILGUN_KEY = "mailgun-signing-key"
MANDRILL_KEY = "mandrill-webhook-key"
MANDRILL_URL = "http://testserver/inbound/mandrill"
SPARKPOST_TOKEN = "sparkpost-relay-token"
RESEND_SECRET = "whsec_cmVzZW5kLWluYm91bmQtc2lnbmluZy1zZWNyZXQhIQ=="
SIGNER = SnsSigner.create()


class Hooks(Api):
    """The webhook app, with the fakes behind its ports."""

    def __init__(self, client: TestClient, sns: FakeSns, api_store: dict[str, Any]) -> None:
        super().__init__(client)
        self.sns = sns
        self.api_store = api_store

    def stored(self) -> int:
        return int(self.get("/api/v1/inbound-messages")["total"])

    def raw_of(self, inbound_id: int) -> bytes:
        response = self.client.get(f"/api/v1/inbound-messages/{inbound_id}/raw", headers=self.headers)
        assert response.status_code == 200
        return response.content


def _api_handler(store: dict[str, Any]) -> Callable[[httpx.Request], httpx.Response]:
    """Resend's and Brevo's APIs, serving what the test put in `store`."""
    def handler(request: httpx.Request) -> httpx.Response:
        email_id = request.url.path.rsplit("/", 1)[-1]
        if request.url.host == "api.brevo.com":
            data, ctype = store[email_id]
            return httpx.Response(200, content=data, headers={"Content-Type": ctype})
        if request.url.host == "api.resend.com":
            return httpx.Response(200, json={"raw": {
                "download_url": f"https://download.resend.example/{email_id}"}})
        return httpx.Response(200, content=store[email_id])
    return handler


@pytest.fixture
def hooks(tmp_path: Path, smtp: SmtpSink, database_url: str) -> Iterator[Hooks]:
    settings = make_settings(
        tmp_path / "hooks", smtp, database_url=database_url,
        mailgun_signing_key=MAILGUN_KEY, ses_topic_arns=TOPIC,
        mandrill_webhook_key=MANDRILL_KEY, mandrill_webhook_url=MANDRILL_URL,
        sparkpost_webhook_token=SPARKPOST_TOKEN, resend_webhook_secret=RESEND_SECRET,
        resend_api_key="re_test", brevo_api_key="brevo-test")
    sns, api_store = FakeSns(SIGNER.pem), {}
    app = create_app(settings, provider_ports=ProviderPorts(
        sns=sns, http=httpx.Client(transport=httpx.MockTransport(_api_handler(api_store)))))
    with TestClient(app) as client:
        yield Hooks(client, sns, api_store)


@pytest.fixture
def reference(tmp_path: Path, smtp: SmtpSink) -> Iterator[Api]:
    # Always its own SQLite file: the webhook app has the test database (SQLite or PostgreSQL).
    with TestClient(create_app(make_settings(tmp_path / "reference", smtp))) as client:
        yield Api(client)


# --- posting each provider's payload -------------------------------------------------------------

def _mailgun_fields(fields: list, token: str | None = None, at: float | None = None) -> list:
    stamp, token = str(int(at or time.time())), token or f"{time.time_ns():050d}"
    return fields + [("timestamp", stamp), ("token", token),
                     ("signature", mailgun_signature(MAILGUN_KEY, stamp, token))]


def post_mailgun(hooks: Hooks, raw: bytes, path: str = "/inbound/mailgun") -> httpx.Response:
    body, ctype = multipart(_mailgun_fields(mailgun_fields(split(raw))))
    return hooks.client.post(path, content=body, headers={"Content-Type": ctype})


def post_mailgun_mime(hooks: Hooks, raw: bytes) -> httpx.Response:
    body, ctype = urlencoded(_mailgun_fields([("recipient", "support@msp.example"),
                                              ("sender", "bounce@acme.example"), ("body-mime", raw)]))
    return hooks.client.post("/inbound/mailgun/mime", content=body, headers={"Content-Type": ctype})


def post_sendgrid(hooks: Hooks, raw: bytes, *, send_raw: bool = False,
                  auth: str = BASIC) -> httpx.Response:
    fields = ([("email", raw), ("envelope", '{"to":["support@msp.example"],"from":"b@acme.example"}')]
              if send_raw else sendgrid_fields(split(raw)))
    body, ctype = multipart(fields)
    return hooks.client.post("/inbound/sendgrid", content=body,
                             headers={"Content-Type": ctype, "Authorization": auth})


def post_postmark(hooks: Hooks, raw: bytes, *, with_raw: bool = False,
                  message_id: str | None = None) -> httpx.Response:
    payload = postmark_payload(split(raw), raw=with_raw, message_id=message_id)
    return hooks.client.post("/inbound/postmark", json=payload, headers={"Authorization": BASIC})


def post_ses(hooks: Hooks, raw: bytes, *, message: dict | None = None) -> httpx.Response:
    message = message or SIGNER.sign(ses_notification(raw), "2")
    return hooks.client.post("/inbound/ses", content=json.dumps(message).encode(), headers={
        "Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": message["Type"]})


def post_mandrill(hooks: Hooks, raw: bytes, *, key: str = MANDRILL_KEY) -> httpx.Response:
    events = [{"event": "inbound", "ts": 1507856722,
               "msg": {"raw_msg": raw.decode(), "email": "support@msp.example"}}]
    fields = [("mandrill_events", json.dumps(events))]
    body, ctype = urlencoded(fields)
    return hooks.client.post("/inbound/mandrill", content=body, headers={
        "Content-Type": ctype, "X-Mandrill-Signature": mandrill_signature(key, MANDRILL_URL, fields)})


def post_sparkpost(hooks: Hooks, raw: bytes, *, token: str = SPARKPOST_TOKEN) -> httpx.Response:
    batch = [{"msys": {"relay_message": {"content": {"email_rfc822": raw.decode(),
                                                     "email_rfc822_is_base64": False},
                                         "msg_from": "bounce@acme.example",
                                         "rcpt_to": "support@msp.example", "protocol": "smtp"}}}]
    return hooks.client.post("/inbound/sparkpost", json=batch,
                             headers={"X-MessageSystems-Webhook-Token": token})


def post_mailjet(hooks: Hooks, raw: bytes) -> httpx.Response:
    return hooks.client.post("/inbound/mailjet", json=mailjet_payload(split(raw)),
                             headers={"Authorization": BASIC})


def post_resend(hooks: Hooks, raw: bytes, *, secret: str = RESEND_SECRET) -> httpx.Response:
    email_id = f"email-{len(hooks.api_store)}"
    hooks.api_store[email_id] = raw
    body = json.dumps({"type": "email.received", "data": {
        "email_id": email_id, "to": ["support@msp.example"]}}).encode()
    msg_id, stamp = f"msg_{email_id}", str(int(time.time()))
    return hooks.client.post("/inbound/resend", content=body, headers={
        "Content-Type": "application/json", "svix-id": msg_id, "svix-timestamp": stamp,
        "svix-signature": "v1," + svix_signature(secret, msg_id, stamp, body)})


def post_brevo(hooks: Hooks, raw: bytes) -> httpx.Response:
    item, files = brevo_item(split(raw))
    hooks.api_store.update(files)  # the same fake API host map
    return hooks.client.post("/inbound/brevo", json={"items": [item]},
                             headers={"Authorization": BASIC})


def inbound_id(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    data = response.json()
    item = data["items"][0] if "items" in data else data
    assert item["status"] == "queued"
    return int(item["id"])


def outcome(api: Api, message_id: int) -> dict[str, Any]:
    """Everything processing made of one message, without ids and times."""
    message = api.processed(message_id)
    ticket = api.get(f"/api/v1/tickets/{message['ticket_number']}")
    (doc,) = api.get(f"/api/v1/tickets/{ticket['number']}/documents")["items"]
    files = sorted(
        (a["filename"], a["content_type"], a["content_id"], a["inline"],
         api.client.get(f"/api/v1/attachments/{a['id']}", headers=api.headers).content)
        for a in doc["attachments"])
    return {
        "outcome": message["outcome"], "message_id": message["message_id"],
        "from": message["from_address"], "subject": message["subject"],
        "ticket": (ticket["subject"], ticket["source"]),
        "document": {k: doc[k] for k in ("kind", "from_address", "to", "cc", "subject", "date",
                                         "text", "reply_text", "html")},
        "attachments": files,
    }


PROVIDERS: dict[str, Callable[[Hooks, bytes], httpx.Response]] = {
    "mailgun parsed": post_mailgun,
    "mailgun raw mime": post_mailgun_mime,
    "sendgrid parsed": post_sendgrid,
    "sendgrid send raw": lambda h, r: post_sendgrid(h, r, send_raw=True),
    "postmark json": post_postmark,
    "postmark raw email": lambda h, r: post_postmark(h, r, with_raw=True),
    "ses via sns": post_ses,
    "mandrill": post_mandrill,
    "sparkpost": post_sparkpost,
    "mailjet": post_mailjet,
    "resend": post_resend,
    "brevo": post_brevo,
}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_providers_payload_is_processed_exactly_like_the_raw_message(
        provider: str, hooks: Hooks, reference: Api) -> None:
    raw = reference_message()
    for api in (hooks, reference):
        api.account("Acme", email="acme.example")
    expected = outcome(reference, reference.send(raw)["id"])
    assert expected["outcome"] == "ticket_created" and len(expected["attachments"]) == 2

    assert outcome(hooks, inbound_id(PROVIDERS[provider](hooks, raw))) == expected


def test_a_large_postmark_payload_read_as_a_stream_is_processed_like_the_raw_message(
        hooks: Hooks, reference: Api) -> None:
    """Over a MiB, Postmark's body reaches its decoder in pieces and the attachment's base64
    is decoded as it is read (adapters/inbound/json_strings.py)."""
    raw = reference_message(pdf=b"%PDF-1.4\n" + os.urandom(1_500_000))
    for api in (hooks, reference):
        api.account("Acme", email="acme.example")
    expected = outcome(reference, reference.send(raw)["id"])
    assert len(expected["attachments"]) == 2
    assert outcome(hooks, inbound_id(post_postmark(hooks, raw))) == expected
