"""Every provider adapter's registration, in the order the documentation lists them."""

from __future__ import annotations

from adapters.inbound import (
    brevo,
    mailgun,
    mailjet,
    mandrill,
    postmark,
    resend,
    sendgrid,
    ses,
    sparkpost,
)
from adapters.inbound.base import Provider

PROVIDERS: tuple[Provider, ...] = (
    mailgun.PROVIDER, sendgrid.PROVIDER, postmark.PROVIDER, mailjet.PROVIDER, brevo.PROVIDER,
    sparkpost.PROVIDER, ses.PROVIDER, mandrill.PROVIDER, resend.PROVIDER,
)
