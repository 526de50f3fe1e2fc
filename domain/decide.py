"""The processing order of SPEC §2, in one place. Each step returns a Decision or passes (None)."""

from __future__ import annotations

from dataclasses import replace

from domain.acknowledgements import acknowledgement_refusal, forward_limit
from domain.addresses import address_key, domain_of
from domain.authentication import failed_authentication
from domain.automation import automated_email
from domain.bounces import bounce_decision, is_read_receipt, read_receipt_decision
from domain.decisions import CreateTicket, Decision, FileReply, Forward, Ignore
from domain.guards import is_bounce, is_loop, is_own_mail
from domain.model import DocumentKind, MessageView, Outcome, Policy, TicketRef
from domain.ports import Directory
from domain.sender_matching import match_sender
from domain.ticket_threading import find_thread
from domain.xml_api import xml_transaction


def decide(view: MessageView, directory: Directory, policy: Policy) -> Decision:
    decision = (
        guard(view, directory, policy)
        or automated_email(view, directory, policy)
        or xml_transaction(view, directory, policy)
        or file_into_thread(view, directory, policy)
        or ticket_for_sender(view, directory, policy)
        or Forward(
            outcome=Outcome.FORWARDED_UNRECOGNIZED,
            reason=_unrecognized_reason(view),
        )
    )
    return limit_forwards(decision, view, directory, policy)


def limit_forwards(decision: Decision, view: MessageView, directory: Directory,
                   policy: Policy) -> Decision:
    """The outcome stands, but past the hourly limit for this sender nothing is forwarded."""
    forwarding = (isinstance(decision, Forward) and decision.send) or (
        isinstance(decision, FileReply) and decision.forward)
    if not forwarding:
        return decision
    refusal = forward_limit(view, policy, directory)
    if refusal is None:
        return decision
    reason = f"{decision.reason}; {refusal}"
    if isinstance(decision, Forward):
        return replace(decision, send=False, reason=reason)
    assert isinstance(decision, FileReply)  # the only other decision that forwards
    return replace(decision, forward=False, reason=reason)


def guard(view: MessageView, directory: Directory, policy: Policy) -> Decision | None:
    """Step 1: our own mail, loops and bounces are recorded and go no further."""
    sent_by_us = bool(view.message_id) and directory.is_own_message_id(view.message_id or "")
    own = is_own_mail(view, policy, sent_by_us)
    if own:
        return Ignore(outcome=Outcome.IGNORED_LOOP, reason=f"ignored: {own}")
    loop = is_loop(view, policy)
    if loop:
        return Ignore(outcome=Outcome.IGNORED_LOOP, reason=f"ignored as a mail loop: {loop}")
    receipt = is_read_receipt(view)
    if receipt:
        return read_receipt_decision(receipt)
    bounce = is_bounce(view)
    if bounce:
        return bounce_decision(view, directory, bounce)
    return None


def file_into_thread(view: MessageView, directory: Directory, policy: Policy) -> Decision | None:
    """Step 4: a reply to an existing ticket is filed under it."""
    thread = find_thread(view, directory, policy.ticket_pattern, policy.reply_reference_key)
    if thread is None:
        return None
    ticket = thread.ticket
    reopen = ticket.status == "closed"
    reopened = " (the closed ticket is reopened)" if reopen else ""
    employee = directory.active_employee(view.from_address) if view.from_address else None
    forged = (failed_authentication(view, policy)
              if employee is not None and policy.distrust_failed_employee_auth else None)
    if employee is not None and not forged:
        return FileReply(
            outcome=Outcome.FILED_EMPLOYEE_REPLY,
            reason=(
                f"filed under ticket {ticket.number} ({thread.how}); sender {view.from_address} "
                f"is active employee {employee.id} ({employee.name}), so it is not forwarded"
            ),
            ticket_id=ticket.id,
            ticket_number=ticket.number,
            document_kind=DocumentKind.EMPLOYEE_EMAIL,
            forward=False,
        )
    sender = caution = ""
    if employee is None and thread.bare and not _tied_to(ticket, view.from_address, directory):
        who = view.from_address or "the sender"
        caution = (f"the ticket number in the subject is the only clue, and {who} is neither "
                   "the ticket's contact, at its account, an employee nor an earlier "
                   "correspondent on it")
        sender = f"; {caution}"
    if employee is not None:  # an employee's address, but the message fails authentication
        sender = (f"; sender {view.from_address} is the address of active employee "
                  f"{employee.id} ({employee.name}), but the message fails authentication: "
                  f"{forged}, so it is not trusted as the employee's reply")
    return FileReply(
        outcome=Outcome.FILED_CUSTOMER_REPLY,
        reason=(f"filed under ticket {ticket.number} ({thread.how}) and forwarded to the support "
                f"team{sender}{reopened}"),
        matched_by=thread.how,
        caution=caution,
        ticket_id=ticket.id,
        ticket_number=ticket.number,
        document_kind=DocumentKind.CUSTOMER_EMAIL,
        forward=True,
        reopen=reopen,
    )


def _tied_to(ticket: TicketRef, address: str | None, directory: Directory) -> bool:
    """The sender is the ticket's contact, at its account (address or domain), or wrote on it
    before, or was written to about it."""
    key = address_key(address)
    if key is None:
        return False
    domain = domain_of(key)
    held = directory.accounts_holding([key, domain] if domain else [key])
    if ticket.account_id is not None and any(m.account_id == ticket.account_id for m in held):
        return True
    return directory.ticket_correspondent(ticket.id, key)


def ticket_for_sender(view: MessageView, directory: Directory, policy: Policy) -> Decision | None:
    """Step 5: a recognized customer gets a new ticket; an ambiguous one is an error."""
    match = match_sender(view.from_address, directory)
    if match.by is None:
        return None
    if match.is_ambiguous:
        return Forward(
            outcome=Outcome.FORWARDED_ERROR,
            reason=(
                f"sender {view.from_address} matches several accounts by {match.by} "
                f"{match.key}: {match.describe_accounts()}; forwarded for a person to decide"
            ),
        )
    account = match.account
    if account is None:
        return None
    contact = f", contact {account.contact_id}" if account.contact_id else ""
    reason = (
        f"sender {view.from_address} matched account {account.account_id} "
        f"({account.account_name}) by {match.by} {match.key}{contact}"
    )
    refusal = acknowledgement_refusal(view, policy, directory)
    return CreateTicket(
        outcome=Outcome.TICKET_CREATED,
        reason=reason + (f"; {refusal}" if refusal else "; acknowledgement queued"),
        account_id=account.account_id,
        contact_id=account.contact_id,
        acknowledge=refusal is None,
    )


def _unrecognized_reason(view: MessageView) -> str:
    if not view.from_address:
        return "the message has no usable sender address; forwarded to the support team"
    return (
        f"sender {view.from_address} matches no account by address or domain; "
        "forwarded to the support team"
    )
