"""The POP3 poller process (Procfile `pop3`, `make pop3`): takes mail from every POP3 maildrop
(CONNECTOR_POP3_* and CONNECTOR_MAILBOXES_FILE) and stores it; the web or worker processes process it.

Run one per maildrop: a POP3 server lets one session at a time hold it (RFC 1939 §8).
"""

from __future__ import annotations

from api.entrypoints.poller import serve


def main() -> None:
    serve("pop3")


if __name__ == "__main__":
    main()
