"""A loopback OAuth2 token service for the XOAUTH2 tests: the token endpoints the connector
asks (HTTPS with a throwaway certificate: msal accepts only https authorities) and the
introspection endpoint Dovecot's oauth2 passdb asks (plain HTTP, RFC 7662 with
introspection_mode = post).

It speaks the shapes its clients expect: Microsoft's OpenID discovery document and v2.0 token
endpoint (what msal asks), Google's token endpoint (refresh grant and the service account's
JWT bearer grant, RFC 7523, whose signature it verifies), and a plain RFC 6749 §6 endpoint.
"""

from __future__ import annotations

import datetime
import ipaddress
import itertools
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

TENANT = "contoso-tenant-id"


@dataclass
class Issued:
    username: str
    revoked: bool = False


@dataclass
class TokenService:
    directory: Path
    username: str
    refresh_tokens: set[str] = field(default_factory=lambda: {"refresh-1"})
    client_secret: str = "client-secret-1"
    expires_in: int = 3600
    accepted: bool = True  # False: introspection calls every token inactive
    # True: each refresh grant answers a new refresh token and revokes the one it was given
    # (rotation with reuse detection, RFC 6749 §6 and the OAuth 2.0 Security BCP)
    rotate: bool = False
    tokens: dict[str, Issued] = field(default_factory=dict)
    grants: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # path, form
    presented: list[str] = field(default_factory=list)  # tokens Dovecot asked about
    service_account_key: Any = None
    assertions: list[dict[str, Any]] = field(default_factory=list)  # verified JWT claims
    _counter: Any = field(default_factory=lambda: itertools.count(1))

    # --- what the tests read ------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self._https.server_port}"

    @property
    def introspection_url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_port}/introspect"

    def revoke_access_tokens(self) -> None:
        for issued in self.tokens.values():
            issued.revoked = True

    def service_account_file(self) -> Path:
        """A Google service account key file whose token_uri is this service."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.service_account_key = key.public_key()
        path = self.directory / "service-account.json"
        path.write_text(json.dumps({
            "type": "service_account", "project_id": "msp-test",
            "private_key_id": "key-1", "client_email": "connector@msp-test.iam.example",
            "client_id": "1234", "token_uri": f"{self.base}/google/token",
            "private_key": key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()).decode()}))
        return path

    # --- serving --------------------------------------------------------------------------------

    def start(self) -> TokenService:
        self.ca_file = self.directory / "token-service.pem"
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*_certificate(self.directory))
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                status, body = service.get(self.path)
                self._answer(status, body)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                status, body = service.post(self.path, form)
                self._answer(status, body)

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._https = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._https.socket = context.wrap_socket(self._https.socket, server_side=True)
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        for server in (self._https, self._http):
            # Dovecot keeps its connection open: a stop does not wait for it to close.
            server.daemon_threads, server.block_on_close = True, False
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        for server in (self._https, self._http):
            server.shutdown()
            server.server_close()

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        if path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
            return 200, {  # the fields msal reads from Microsoft's discovery document
                "issuer": f"{self.base}/{TENANT}/v2.0",
                "authorization_endpoint": f"{self.base}/{TENANT}/oauth2/v2.0/authorize",
                "token_endpoint": f"{self.base}/{TENANT}/oauth2/v2.0/token"}
        return 404, {"error": "not_found"}

    def post(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path == "/introspect":
            token = form.get("token", "")
            self.presented.append(token)
            issued = self.tokens.get(token)
            if issued is None or issued.revoked or not self.accepted:
                return 200, {"active": False}
            return 200, {"active": True, "username": issued.username}
        self.grants.append((path, form))
        grant = form.get("grant_type")
        if path == f"/{TENANT}/oauth2/v2.0/token" and grant == "client_credentials":
            if form.get("client_secret") != self.client_secret:
                return 401, {"error": "invalid_client",
                             "error_description": "AADSTS7000215: Invalid client secret."}
            return self._issue()
        if path == "/google/token" and grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            # google-auth names Google's token endpoint as the audience wherever it sends it
            claims = jwt.decode(form["assertion"], self.service_account_key,
                                algorithms=["RS256"], audience="https://oauth2.googleapis.com/token")
            self.assertions.append(claims)
            return self._issue(username=claims["sub"])
        if grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return 400, {"error": "invalid_grant",
                             "error_description": "The refresh token was revoked."}
            status, answer = self._issue()
            if self.rotate:
                self.refresh_tokens.discard(form["refresh_token"])
                answer["refresh_token"] = f"refresh-rotated-{next(self._counter)}"
                self.refresh_tokens.add(answer["refresh_token"])
            return status, answer
        return 400, {"error": "unsupported_grant_type"}

    def _issue(self, username: str | None = None) -> tuple[int, dict[str, Any]]:
        token = f"access-{next(self._counter)}"
        self.tokens[token] = Issued(username or self.username)
        return 200, {"access_token": token, "token_type": "Bearer",
                     "expires_in": self.expires_in}


def _certificate(directory: Path) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 that is its own CA (the clients trust it
    through REQUESTS_CA_BUNDLE)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "token-service.pem", directory / "token-service.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)
