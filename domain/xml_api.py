"""Step 3 of processing (SPEC §2): XML transactions. Each transaction is screened (password,
data kind), then its records are planned and written one at a time, each with its own result."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.addresses import address_key
from domain.decisions import ApplyXml, Decision
from domain.model import MessageView, Outcome, Policy, format_ticket_number
from domain.ports import Directory
from domain.xml_fields import KINDS, KindSpec
from domain.xml_model import XmlCode, XmlError, XmlTransaction, shown
from domain.xml_records import RecordPlan, plan_record, written_message

# Writes one planned record; returns its id, or why the store refused it (nothing written).
Writer = Callable[[RecordPlan], "int | XmlError"]


@dataclass(frozen=True, slots=True)
class RecordResult:
    index: int
    code: XmlCode
    message: str
    ids: tuple[tuple[str, str], ...] = ()  # field code -> value written, for the response
    ticket_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.code == XmlCode.OK


@dataclass(frozen=True, slots=True)
class TransactionResult:
    transaction: XmlTransaction
    code: XmlCode
    message: str
    records: tuple[RecordResult, ...] = ()

    @property
    def ok(self) -> bool:
        return self.code == XmlCode.OK

    @property
    def wrote(self) -> bool:
        return any(r.ok for r in self.records)

    @property
    def ticket_ids(self) -> list[int]:
        return [r.ticket_id for r in self.records if r.ticket_id is not None]


def xml_transaction(view: MessageView, directory: Directory, policy: Policy) -> Decision | None:
    """Step 3: a message holding XML transactions (read only while the API is on)."""
    if not view.xml:
        return None
    return ApplyXml(outcome=Outcome.XML_PROCESSED,
                    reason=f"{len(view.xml)} XML transaction(s) to carry out",
                    transactions=view.xml)


def password_matches(given: str | None, expected: str) -> bool:
    # Digests first, so the comparison takes the same time whatever the given length.
    given_digest = hashlib.sha256((given or "").strip().encode("utf-8", "replace")).digest()
    expected_digest = hashlib.sha256(expected.strip().encode("utf-8", "replace")).digest()
    return hmac.compare_digest(given_digest, expected_digest)


def screen(tx: XmlTransaction, password: str | None) -> KindSpec | XmlError:
    """The data kind of a transaction that may be carried out, or why it may not."""
    if tx.problem is not None:
        return tx.problem
    if password:
        if not tx.password:
            return XmlError(XmlCode.PASSWORD, "the password is missing (<Password>)")
        if not password_matches(tx.password, password):
            return XmlError(XmlCode.PASSWORD, "the password is wrong")
    if not tx.data_kind:
        return XmlError(XmlCode.BAD_ENVELOPE, "<DataKind> is missing")
    kind = KINDS.get(tx.data_kind.strip().upper())
    if kind is None:
        return XmlError(XmlCode.UNKNOWN_KIND, f"unknown DataKind {shown(tx.data_kind, 40)!r}; "
                                              f"known: {', '.join(KINDS)}")
    if not tx.records:
        return XmlError(XmlCode.NO_RECORDS, "the transaction has no <RecordData>")
    return kind


def carry_out(tx: XmlTransaction, *, password: str | None, directory: Directory,
              write: Writer) -> TransactionResult:
    """Every record in order: planned in full, then written, each with its own result."""
    kind = screen(tx, password)
    if isinstance(kind, XmlError):
        return TransactionResult(tx, kind.code, kind.message)
    results: list[RecordResult] = []
    for index, record in enumerate(tx.records, 1):
        plan = plan_record(kind, record, directory)
        written = write(plan) if isinstance(plan, RecordPlan) else plan
        if isinstance(written, XmlError):
            results.append(RecordResult(index, written.code, written.message))
            continue
        assert isinstance(plan, RecordPlan)
        ids = [(kind.recid, str(written))]
        if kind.name == "TICKET":
            ids.append(("FLDTKTTICKETNO", format_ticket_number(written)))
        results.append(RecordResult(index, XmlCode.OK, written_message(plan, written), tuple(ids),
                                    written if kind.name == "TICKET" else None))
    return _settle(tx, results)


def _settle(tx: XmlTransaction, results: list[RecordResult]) -> TransactionResult:
    failed = [r for r in results if not r.ok]
    if len(results) == 1:
        only = results[0]
        return TransactionResult(tx, only.code, only.message, tuple(results))
    if not failed:
        message = f"{len(results)} records written: " + "; ".join(r.message for r in results)
        return TransactionResult(tx, XmlCode.OK, message, tuple(results))
    errors = "; ".join(f"record {r.index}: {r.message}" for r in failed)
    message = f"{len(failed)} of {len(results)} records rejected ({errors})"
    written = [r.message for r in results if r.ok]
    if written:
        message += "; written: " + "; ".join(written)
    return TransactionResult(tx, failed[0].code, message, tuple(results))


def response_address(tx: XmlTransaction, own_addresses: frozenset[str]) -> tuple[str | None, str]:
    """Where the response goes (SendResponseToEmail, never the sender), and a note saying so."""
    if not tx.respond_to:
        return None, "no response asked for"
    key = address_key(tx.respond_to)
    if key is None or "@" not in key:
        return None, f"no response: SendResponseToEmail {shown(tx.respond_to)!r} is not an address"
    if key in own_addresses:
        # Answering our own address would come back in as new mail: a loop.
        return None, f"no response: SendResponseToEmail {key} is the connector's own address"
    return key, f"response sent to {key}"


# Text an unauthenticated sender chose, when it goes back out in a response: this short at most.
UNTRUSTED_TEXT = 40


def authenticated(tx: XmlTransaction, password: str | None) -> bool:
    """Whether the transaction proved it comes from someone who knows the configured password."""
    if not password or tx.password is None:
        return False
    return password_matches(tx.password, password)


@dataclass(frozen=True, slots=True)
class PlannedResponse:
    index: int  # of the transaction in the message
    to: str
    result: TransactionResult  # what the response says (cut down for an unauthenticated one)
    authenticated: bool


def plan_responses(results: Sequence[TransactionResult], *, password: str | None,
                   sender: str | None, own_addresses: frozenset[str],
                   unauthenticated_to: str = "sender", sender_capped: bool = False,
                   ) -> tuple[list[PlannedResponse], list[str]]:
    """Who gets a response to each transaction, and a note for the reason saying so.

    An authenticated transaction (the configured password, matched) is answered where it asks
    (SendResponseToEmail). Any other one could be anybody's: its response goes at most to the
    message's own sender (or nowhere: `unauthenticated_to="none"`), once per message, within
    the sender's hourly cap, and says only the result: nothing the sender wrote is echoed but
    a short, single-line ReturnTransactionID. Otherwise the public address would send mail,
    with text of an attacker's choosing, to any address (an open relay).
    """
    planned: list[PlannedResponse] = []
    notes: list[str] = []
    answered_sender = False
    for index, result in enumerate(results):
        tx = result.transaction
        if authenticated(tx, password):
            address, note = response_address(tx, own_addresses)
            if address:
                planned.append(PlannedResponse(index, address, result, True))
            notes.append(note)
            continue
        key = address_key(sender) if sender else None
        if not tx.respond_to:
            note = "no response asked for"
        elif unauthenticated_to == "none":
            note = "no response: the transaction is not authenticated by the password"
        elif key is None or "@" not in key or key in own_addresses:
            note = "no response: not authenticated, and the sender is no address to answer"
        elif answered_sender:
            note = "no response: one response per message to an unauthenticated sender"
        elif sender_capped:
            note = f"no response: the hourly limit of automatic replies to {key} is reached"
        else:
            answered_sender = True
            planned.append(PlannedResponse(index, key, _cut_down(result), False))
            note = (f"response sent to the sender {key}: not authenticated, so not to "
                    "SendResponseToEmail")
        notes.append(note)
    return planned, notes


def _cut_down(result: TransactionResult) -> TransactionResult:
    tx = result.transaction
    echoed = shown(tx.return_id, UNTRUSTED_TEXT) if tx.return_id else None
    return TransactionResult(XmlTransaction(root=tx.root, return_id=echoed), result.code,
                             shown(result.message, 200))


def settle_message(results: Sequence[TransactionResult], notes: Sequence[str]
                   ) -> tuple[Outcome, str]:
    """The outcome of a message: xml_processed once anything was written (so it is never
    processed twice), else xml_rejected; the reason tells each transaction's result."""
    parts = []
    for result, note in zip(results, notes, strict=True):
        tx = result.transaction
        name = " ".join(p for p in (tx.data_kind.strip().upper()[:20], "transaction",
                                    shown(tx.return_id, 40) if tx.return_id else "") if p)
        origin = f" from {shown(tx.application, 40)!r}" if tx.application else ""
        verdict = "OK" if result.ok else f"ERROR {int(result.code)}"
        parts.append(f"{name}{origin}: {verdict}, {result.message}; {note}")
    outcome = Outcome.XML_PROCESSED if any(r.wrote for r in results) else Outcome.XML_REJECTED
    return outcome, " | ".join(parts)
