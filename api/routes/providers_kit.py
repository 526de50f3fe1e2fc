"""Wiring of the provider adapters: built once per app from the settings and the ports.

The ports (SNS over HTTPS, the providers' HTTP APIs, the replay cache) are real by default;
tests install fakes with `install(app, ProviderPorts(...))` before the first request.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi import FastAPI, Request

from adapters.inbound.brevo import BrevoApi, BrevoWebhook
from adapters.inbound.mailgun import MailgunWebhook
from adapters.inbound.mailjet import MailjetWebhook
from adapters.inbound.mandrill import MandrillWebhook
from adapters.inbound.postmark import PostmarkWebhook
from adapters.inbound.replay import DatabaseReplayCache, ReplayCache
from adapters.inbound.resend import ResendApi, ResendWebhook
from adapters.inbound.sendgrid import SendgridWebhook
from adapters.inbound.ses import SesWebhook
from adapters.inbound.sns import HttpxSnsHttp, SnsHttp
from adapters.inbound.sparkpost import SparkpostWebhook
from api.container import Container


@dataclass
class ProviderPorts:
    sns: SnsHttp
    http: httpx.Client  # the providers' APIs (Resend, Brevo)
    replay: ReplayCache


@dataclass
class ProviderKit:
    mailgun: MailgunWebhook
    sendgrid: SendgridWebhook
    postmark: PostmarkWebhook
    ses: SesWebhook
    mandrill: MandrillWebhook
    sparkpost: SparkpostWebhook
    mailjet: MailjetWebhook
    brevo: BrevoWebhook
    resend: ResendWebhook


def build_kit(container: Container, ports: ProviderPorts | None = None) -> ProviderKit:
    s = container.settings
    ports = ports or ProviderPorts(
        sns=HttpxSnsHttp(),
        http=httpx.Client(timeout=10.0, follow_redirects=True),
        replay=DatabaseReplayCache(container.db),
    )

    def secret(value: object) -> str | None:
        return value.get_secret_value() if value is not None else None  # type: ignore[attr-defined]

    return ProviderKit(
        mailgun=MailgunWebhook(secret(s.mailgun_signing_key), ports.replay,
                               max_age_seconds=s.mailgun_max_age_seconds),
        sendgrid=SendgridWebhook(),
        postmark=PostmarkWebhook(),
        ses=SesWebhook((s.ses_topic_arns or "").split(","), ports.sns),
        mandrill=MandrillWebhook(secret(s.mandrill_webhook_key), s.mandrill_webhook_url),
        sparkpost=SparkpostWebhook(secret(s.sparkpost_webhook_token)),
        mailjet=MailjetWebhook(),
        brevo=BrevoWebhook(BrevoApi(ports.http, secret(s.brevo_api_key), s.brevo_api_url)),
        resend=ResendWebhook(secret(s.resend_webhook_secret),
                             ResendApi(ports.http, secret(s.resend_api_key), s.resend_api_url)),
    )


def install(app: FastAPI, ports: ProviderPorts | None = None) -> ProviderKit:
    kit = build_kit(app.state.container, ports)
    app.state.provider_kit = kit
    return kit


async def provider_kit(request: Request) -> ProviderKit:
    kit = getattr(request.app.state, "provider_kit", None)
    return kit if kit is not None else install(request.app)
