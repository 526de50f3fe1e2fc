"""`email-connector`: what an operator does without the web page.

    email-connector check              is it ready for real mail? (exit 1 when not)
    email-connector import FILE...     .eml files or mbox files into the connector
    email-connector queue              inbound messages by status, the outbox's backlog
    email-connector reprocess --status failed [--outcome OUTCOME]
    email-connector api-key create NAME | rotate NAME [--grace SECONDS] | revoke NAME | list
    email-connector inbound-password set [--from-stdin]

The same use cases as the REST API, on the same settings (CONNECTOR_*, .env).
"""

from __future__ import annotations

import argparse
import getpass
import mailbox
import sys
from collections.abc import Iterator
from pathlib import Path

from api.application import api_keys, connector, processing_log
from api.application.observability import configure_logging
from api.application.settings import warnings
from api.entrypoints.bootstrap import Process, Settings, build_process
from domain.errors import DomainError, StorageUnavailable
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
    keys = commands.add_parser("api-key", help="named REST API keys: create, rotate, revoke, list")
    key_commands = keys.add_subparsers(dest="action", required=True)
    for action, text in (("create", "a new key, printed once"),
                         ("rotate", "a new key for this name; the old one works until --grace ends"),
                         ("revoke", "the key (and a rotated one in its grace) stops working")):
        key_commands.add_parser(action, help=text).add_argument("name")
    key_commands.choices["rotate"].add_argument(
        "--grace", type=int, default=api_keys.GRACE_SECONDS, metavar="SECONDS",
        help=f"how long the old key keeps working (default {api_keys.GRACE_SECONDS}: 24 hours; "
        "0: refused at once)")
    key_commands.add_parser("list", help="names, created, last used, expiry (never the keys)")
    password = commands.add_parser("inbound-password", help="the inbound HTTP Basic password")
    password_commands = password.add_subparsers(dest="action", required=True)
    setting = password_commands.add_parser("set", help="prompted for, or one line of stdin")
    setting.add_argument("--from-stdin", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging("WARNING", "text")
    process = build_process(settings)
    try:
        return int(COMMANDS[args.command](process, args))
    except DomainError as exc:
        print(f"email-connector: {exc}", file=sys.stderr)
        return 1
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


def api_key(process: Process, args: argparse.Namespace) -> int:
    storage = process.services.storage
    if args.action == "list":
        return _list_keys(process)
    if args.action == "revoke":
        api_keys.revoke_api_key(storage, args.name)
        print(f"revoked API key {args.name!r}: refused from now on (within a second)")
        return 0
    if args.action == "create":
        key = api_keys.create_api_key(storage, args.name)
    else:
        key = api_keys.rotate_api_key(storage, args.name, grace_seconds=args.grace)
    # The key alone on stdout (KEY=$(email-connector api-key create ci)); the advice on stderr.
    print(f"API key {args.name!r} (shown once, only its digest is stored):", file=sys.stderr)
    if args.action == "rotate":
        print("the old key is refused from now on (within a second)" if args.grace == 0 else
              f"the old key keeps working for {args.grace} seconds", file=sys.stderr)
    print(key)
    return 0


def _list_keys(process: Process) -> int:
    settings = process.settings
    print(f"{'NAME':24} {'CREATED':20} {'LAST USED':20} EXPIRES (UTC)")
    for key in api_keys.list_api_keys(process.services.storage):
        used = key.last_used_at.strftime("%Y-%m-%d %H:%M") if key.last_used_at else "never"
        expires = "never" if key.expires_at is None else \
            key.expires_at.strftime("%Y-%m-%d %H:%M:%S") + " (rotated, old key)"
        print(f"{key.name:24} {key.created_at.strftime('%Y-%m-%d %H:%M'):20} {used:20} "
              f"{expires}")
    if settings.api_keys is not None:
        count = len([k for k in settings.api_keys.get_secret_value().split(",") if k.strip()])
        print(f"(and {count} unnamed key(s) from CONNECTOR_API_KEYS)")
    elif (settings.data_dir / "api-key").exists():
        print(f"(and the generated key in {settings.data_dir / 'api-key'}: once named keys "
              "exist, delete that file to retire it at the next start)")
    return 0


def inbound_password(process: Process, args: argparse.Namespace) -> int:
    if process.settings.inbound_password is not None:
        print("email-connector: CONNECTOR_INBOUND_PASSWORD is set and wins over a stored "
              "password: change it there, or unset it first", file=sys.stderr)
        return 1
    if args.from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("new inbound password: ")
        if getpass.getpass("again: ") != password:
            print("email-connector: the two passwords differ; nothing changed", file=sys.stderr)
            return 1
    api_keys.set_inbound_password(process.services.storage, password)
    user = process.services.credentials.inbound_username
    print(f"inbound password for user {user!r} set: the old one is refused from now on "
          "(within a second)")
    return 0


COMMANDS = {"check": check, "import": import_files, "queue": queue, "reprocess": reprocess,
            "api-key": api_key, "inbound-password": inbound_password}

if __name__ == "__main__":
    sys.exit(main())
