"""The request examples of the OpenAPI document are the providers' declarations (Provider
.example), and each one is a payload its own adapter reads as the example message: so the
documented payloads cannot drift from what the code takes. Signatures are left out: they
are placeholders in a document (verified for real in each provider's own tests)."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default
from types import SimpleNamespace

import httpx
import pytest

from adapters.inbound.base import EXAMPLE_MESSAGE, EXAMPLE_SUBJECT, Provider, ProviderPorts
from adapters.inbound.providers import PROVIDERS
from tests.adapters.inbound.payloads import multipart, request, urlencoded


def encoded(provider: Provider, media_type: str) -> tuple[bytes, str]:
    example = provider.example
    if media_type == "multipart/form-data":
        return multipart(list(example.items()))
    if media_type == "application/x-www-form-urlencoded":
        return urlencoded(list(example.items()))
    return json.dumps(example).encode(), media_type


def resend_api(request: httpx.Request) -> httpx.Response:
    """Resend's API: the event's message and its download (the example message)."""
    if request.url.path.startswith("/emails/receiving/"):
        return httpx.Response(200, json={"raw": {"download_url": "https://files.example/m.eml"}})
    return httpx.Response(200, content=EXAMPLE_MESSAGE.encode())


SETTINGS = SimpleNamespace(**{**{spec.name: spec.default for p in PROVIDERS for spec in p.settings},
                              "resend_api_key": "re_example"})


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_each_providers_documented_example_is_read_as_the_example_message(
        provider: Provider) -> None:
    assert provider.payload and provider.example is not None
    assert provider.credential or provider.auth == "basic"
    ports = ProviderPorts(sns=None, http=httpx.Client(transport=httpx.MockTransport(resend_api)))
    webhook = provider.build(SETTINGS, ports)
    for media_type in provider.media_types:
        body, content_type = encoded(provider, media_type)
        hook = request(body, content_type)
        result = webhook.deliveries(hook, webhook.decode(hook))
        assert len(result.deliveries) == 1, media_type
        message = message_from_bytes(result.deliveries[0].raw, policy=default)
        assert message["Subject"] == EXAMPLE_SUBJECT
        assert "offline again" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "support@msp.example" in (*result.deliveries[0].envelope_to, message["To"])
