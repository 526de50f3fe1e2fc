"""Amazon SNS message signatures (versions 1 and 2), verified against the signing certificate.

[SNS-verify]: the certificate is fetched from `SigningCertURL`, which must be https on an SNS
host (anything else would let a forger point us at their own certificate, or make us fetch
arbitrary URLs); the string to sign is "Key\\nValue\\n" for a fixed list of keys in byte order;
the signature is RSA PKCS#1 v1.5 with SHA1 (version 1) or SHA256 (version 2). Certificates are
cached by URL: SNS rotates them rarely, and fetching one per message would add a round trip to
AWS to every delivery (SNS gives up after 15 s [SNS-prepare]).
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections import OrderedDict
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from domain.errors import Forbidden, UpstreamUnavailable

_SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
_NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_SUBSCRIPTION_KEYS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn",
                      "Type")
_CACHE_SIZE = 32
_URL_CHARS = re.compile(r"[!-~]+")  # printable ASCII, no space


class SnsHttp(Protocol):
    """The port through which SNS is reached: certificates and subscription confirmations."""

    def get(self, url: str) -> bytes:
        """GET an https URL on an SNS host; UpstreamUnavailable when that fails."""


class HttpxSnsHttp:
    def __init__(self, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(timeout=5.0, follow_redirects=False)

    def get(self, url: str) -> bytes:
        if not is_sns_url(url):
            raise Forbidden("not an https URL on an SNS host")
        try:
            response = self._client.get(url)
            response.raise_for_status()
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError):
            raise Forbidden("not a valid SNS URL") from None
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"SNS could not be reached ({type(exc).__name__})") from None
        return response.content


def is_sns_url(url: str, *, path_suffix: str = "") -> bool:
    # Printable ASCII only: urlsplit silently drops tabs and newlines, and other control
    # characters or non-ASCII reach the HTTP client (which refuses them with an exception).
    if not isinstance(url, str) or len(url) > 2048 or not _URL_CHARS.fullmatch(url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a bad port, an unbalanced IPv6 bracket
        return False
    return (parts.scheme == "https" and port in (None, 443)
            and bool(_SNS_HOST.match(parts.hostname or "")) and parts.username is None
            and parts.path.endswith(path_suffix))


def string_to_sign(message: dict[str, Any]) -> bytes:
    keys = _NOTIFICATION_KEYS if message.get("Type") == "Notification" else _SUBSCRIPTION_KEYS
    # Subject only when present; values are the JSON-decoded strings [SNS-verify].
    return "".join(f"{k}\n{message[k]}\n" for k in keys
                   if isinstance(message.get(k), str)).encode("utf-8")


class SnsVerifier:
    def __init__(self, http: SnsHttp) -> None:
        self._http = http
        self._keys: OrderedDict[str, rsa.RSAPublicKey] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, message: dict[str, Any]) -> None:
        """Raise Forbidden unless SNS signed this message; UpstreamUnavailable if unknowable."""
        algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(
            str(message.get("SignatureVersion", "")))
        if algorithm is None:
            raise Forbidden("unknown SNS SignatureVersion")
        cert_url = message.get("SigningCertURL")
        if not isinstance(cert_url, str) or not is_sns_url(cert_url, path_suffix=".pem"):
            raise Forbidden("SigningCertURL is not an https URL on an SNS host")
        try:
            signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
        except (binascii.Error, ValueError):
            raise Forbidden("the SNS signature is not base64") from None
        key = self._public_key(cert_url)
        try:
            key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm)
        except InvalidSignature:
            raise Forbidden("the SNS signature does not match") from None

    def _public_key(self, url: str) -> rsa.RSAPublicKey:
        with self._lock:
            if url in self._keys:
                self._keys.move_to_end(url)
                return self._keys[url]
        pem = self._http.get(url)
        try:
            key = x509.load_pem_x509_certificate(pem).public_key()
        except ValueError:
            raise UpstreamUnavailable("the SNS signing certificate could not be read") from None
        if not isinstance(key, rsa.RSAPublicKey):
            raise Forbidden("the SNS signing certificate does not hold an RSA key")
        with self._lock:
            self._keys[url] = key
            while len(self._keys) > _CACHE_SIZE:
                self._keys.popitem(last=False)
        return key
