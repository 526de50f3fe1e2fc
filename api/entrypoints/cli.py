"""`email-connector`: what an operator does without the web page.

    email-connector check              is it ready for real mail? (exit 1 when not)
    email-connector import FILE...     .eml files or mbox files into the connector
    email-connector queue              inbound messages by status, the outbox's backlog
    email-connector reprocess --status failed [--outcome OUTCOME]

The same use cases as the REST API, on the same settings (CONNECTOR_*, .env).
"""

from __future__ import annotations

import argparse
import mailbox
import sys
from collections.abc import Iterator
from pathlib import Path

from api.application import connector, processing_log
from api.application.observability import configure_logging
from api.application.settings import warnings
from api.entrypoints.bootstrap import Process, Settings, build_process
from domain.errors import StorageUnavailable
from domain.messages import InboundDelivery


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="email-connector", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="settings, database and SMTP: ready for real mail?")
    importing = commands.add_parser("import", help="store .eml or mbox files as inbound mail")
    importing.add_argument("files", nargs="+", type=Path)
    commands.add_parser("queue", help="inbound messages by status, outbound backlog")
    again = commands.add_parser("reprocess", help="queue matching messages again")
    again.add_argument("--status", default="failed")
    again.add_argument("--outcome")
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging("WARNING", "text")
    process = build_process(settings)
    try:
        return int(COMMANDS[args.command](process, args))
    finally:
        process.stop()


def check(process: Process, args: argparse.Namespace) -> int:
    app = process.services
    problems: list[str] = []
    try:
        app.storage.ping()
        problems += warnings(app.settings.current(max_age=0).as_dict())
    except StorageUnavailable as exc:
        problems.append(f"the database: {exc}")
    ok, detail = connector.smtp_check(app)
    if not ok:
        problems.append(f"outgoing mail: {detail}")
    for problem in problems:
        print(f"not ready: {problem}")
    if not problems:
        print(f"ready: database answers, {detail}")
    return 1 if problems else 0


def import_files(process: Process, args: argparse.Namespace) -> int:
    ingest = process.services.ingest
    statuses: dict[str, int] = {}
    for raw in _messages(args.files):
        stored = ingest.store(InboundDelivery(raw=raw, source="import"))
        statuses[stored.status] = statuses.get(stored.status, 0) + 1
    print(", ".join(f"{n} {status}" for status, n in sorted(statuses.items())) or "nothing read")
    return 0


def _messages(files: list[Path]) -> Iterator[bytes]:
    for path in files:
        head = path.read_bytes()[:5]
        if head.startswith(b"From "):  # an mbox: each message after its "From " line
            box = mailbox.mbox(path, create=False)
            for key in box.iterkeys():
                yield box.get_bytes(key)
        else:
            yield path.read_bytes()


def queue(process: Process, args: argparse.Namespace) -> int:
    for name, count in processing_log.counts(process.services).items():
        print(f"{name:20} {count}")
    return 0


def reprocess(process: Process, args: argparse.Namespace) -> int:
    queued, refused = processing_log.reprocess_matching(process.services, status=args.status,
                                                        outcome=args.outcome)
    print(f"{len(queued)} queued again; {len(refused)} refused (they filed something already)")
    return 0


COMMANDS = {"check": check, "import": import_files, "queue": queue, "reprocess": reprocess}

if __name__ == "__main__":
    sys.exit(main())
