"""The Pop3Connector port with the standard library's poplib (RFC 1939, STLS of RFC 2595).

A session is short: log in, list, retrieve, mark, QUIT. The server deletes the marked messages
only at QUIT (RFC 1939 §6), so a session that breaks off deletes nothing.
"""

from __future__ import annotations

import base64
import poplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from adapters.mailbox.oauth2 import OAuth2Error, log_in_with_token
from domain.messages import MailboxServer
from domain.ports import AccessTokens

# poplib refuses lines above 2048 bytes; real mail has longer ones (RFC 5322 §2.1.1's 998 is
# broken by many senders' HTML), and a message must never be refused for its line lengths.
poplib._MAXLINE = max(poplib._MAXLINE, 1024 * 1024)  # type: ignore[attr-defined]
ERRORS = (poplib.error_proto, OSError, socket.timeout, ssl.SSLError)


class Pop3Mailbox:
    def __init__(self, client: poplib.POP3) -> None:
        self._client = client

    def listing(self) -> list[tuple[int, str, int]]:
        sizes = {}
        for line in self._client.list()[1]:
            number, size = line.split()[:2]
            sizes[int(number)] = int(size)
        found = []
        for line in self._client.uidl()[1]:
            number, uid = line.split()[:2]
            found.append((int(number), uid.decode("ascii", "replace"), sizes.get(int(number), 0)))
        return sorted(found)

    def retrieve(self, number: int) -> bytes:
        lines = self._client.retr(number)[1]  # poplib has undone the dot-stuffing already
        return b"\r\n".join(lines) + b"\r\n"

    def delete(self, number: int) -> None:
        self._client.dele(number)


class Pop3Connector:
    def __init__(self, ssl_context: ssl.SSLContext | None = None, *,
                 tokens: AccessTokens | None = None) -> None:
        self._ssl_context = ssl_context
        self._tokens = tokens

    @contextmanager
    def connect(self, server: MailboxServer) -> Iterator[Pop3Mailbox]:
        client = self._login(server)
        try:
            yield Pop3Mailbox(client)
        except BaseException:
            _close(client)  # no QUIT: nothing marked is deleted
            raise
        client.quit()  # the UPDATE state: the marked messages are deleted now

    def check(self, server: MailboxServer) -> tuple[bool, str]:
        where = f"{server.host}:{server.port}"
        try:
            with self.connect(server) as mailbox:
                count = len(mailbox.listing())
        except poplib.error_proto as exc:
            return False, f"{where}: refused: {_text(exc)}"
        except OAuth2Error as exc:
            return False, f"{where}: no OAuth2 access token: {exc}"
        except ERRORS as exc:
            return False, f"{where}: {type(exc).__name__}: {_text(exc)}"
        who = f" as {server.username}" if server.username else ""
        return True, f"logged in to {where}{who}; the maildrop holds {count} messages"

    def _login(self, server: MailboxServer) -> poplib.POP3:
        context = self._ssl_context or ssl.create_default_context()
        client: poplib.POP3
        if server.security == "tls":
            client = poplib.POP3_SSL(server.host, server.port, context=context,
                                     timeout=server.timeout)
        else:
            client = poplib.POP3(server.host, server.port, timeout=server.timeout)
        try:
            if server.security == "starttls":
                client.stls(context)
            if server.oauth2 is not None:
                self._xoauth2(client, server)
            elif server.username:
                client.user(server.username)
                client.pass_(server.password or "")
        except BaseException:
            _close(client)
            raise
        return client

    def _xoauth2(self, client: poplib.POP3, server: MailboxServer) -> None:
        """AUTH XOAUTH2 with an initial response (RFC 5034 §4). A refused token is answered
        with a challenge holding the error (Google's XOAUTH2 protocol, like RFC 7628 §3.2.3
        for OAUTHBEARER), to which the client sends an empty line and gets -ERR."""
        grant, tokens, user = server.oauth2, self._tokens, server.username
        if grant is None or tokens is None or not user:
            raise OAuth2Error("XOAUTH2 needs a user name and a token service")

        def log_in(token: str) -> None:
            initial = base64.b64encode(f"user={user}\1auth=Bearer {token}\1\1".encode())
            answer = client._shortcmd(  # type: ignore[attr-defined]  # noqa: SLF001
                f"AUTH XOAUTH2 {initial.decode('ascii')}")
            if not answer.startswith(b"+OK"):
                # raises error_proto with the -ERR line
                client._shortcmd("")  # type: ignore[attr-defined]  # noqa: SLF001
                raise poplib.error_proto(b"-ERR XOAUTH2 not accepted")

        log_in_with_token(tokens, grant, log_in, poplib.error_proto)


def _close(client: poplib.POP3) -> None:
    try:
        client.close()
    except ERRORS:
        pass


def _text(exc: BaseException) -> str:
    arg = exc.args[0] if exc.args else ""
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    return text.strip() or type(exc).__name__
