"""The bench's SMTP sink: accepts every mail and keeps nothing, at as little CPU as it can.

The connector's mail goes to a relay on another machine in production; here the sink shares
the connector's two cores, so what it costs is taken from the connector's figures. aiosmtpd
(the test suite's real server) spends about 1.5 ms of CPU a mail, handling DATA line by line;
this one scans each received chunk once for the end of the data (RFC 5321 §4.1.1.4), and
answers the commands the connector's smtplib client sends (EHLO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT) the way a relay would. Not a server to test against: it checks nothing.
"""

from __future__ import annotations

import asyncio
import threading

_GREETING = b"220 bench-sink ESMTP\r\n"
_EHLO = b"250-bench-sink\r\n250-8BITMIME\r\n250-SIZE 104857600\r\n250 PIPELINING\r\n"
_END = b"\r\n.\r\n"


class _Session(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = b""
        self.in_data = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(_GREETING)

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        if self.in_data:
            # Only the tail of the previous chunk can hold the start of the end marker.
            tail = self.buffer[-4:] + data
            end = tail.find(_END)
            if end < 0:
                self.buffer = tail[-4:]
                return
            self.in_data = False
            self.buffer = tail[end + len(_END):]
            self.transport.write(b"250 OK\r\n")
        else:
            self.buffer += data
        self._commands()

    def _commands(self) -> None:
        assert self.transport is not None
        while not self.in_data and b"\r\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.transport.write(_EHLO if verb == b"EHLO" else b"250 bench-sink\r\n")
            elif verb == b"DATA":
                self.transport.write(b"354 go ahead\r\n")
                self.in_data = True
                rest, self.buffer = b"\r\n" + self.buffer, b""
                if rest != b"\r\n":
                    self.data_received(rest)  # the data arrived with the command (pipelining)
                else:
                    self.buffer = rest
            elif verb == b"QUIT":
                self.transport.write(b"221 bye\r\n")
                self.transport.close()
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.transport.write(b"250 OK\r\n")


class Sink:
    """The sink on 127.0.0.1:`port`, in a thread of its own (start() and stop())."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="smtp-sink",
                                        daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> None:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            self._loop.create_server(_Session, "127.0.0.1", self.port), self._loop).result(10)

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
