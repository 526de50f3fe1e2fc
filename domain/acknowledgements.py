"""Limits on what we send automatically: acknowledgements and forwards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from domain.addresses import sender_cap_key
from domain.guards import automatic_mail_reason
from domain.model import MessageView, Policy
from domain.ports import Directory


def acknowledgement_refusal(view: MessageView, policy: Policy, directory: Directory) -> str | None:
    """Why no acknowledgement may go out for this message, or None when one may.

    Never to automatic mail (RFC 3834 §2), never to ourselves, and at most N per sender and hour
    so that two auto-responders cannot keep each other busy.
    """
    if not policy.acknowledge_new_tickets:
        return "acknowledgements are turned off"
    automatic = automatic_mail_reason(view)
    if automatic:
        return f"not acknowledged: {automatic}"
    if not view.from_address or view.from_address in policy.own_addresses:
        return "not acknowledged: no sender, or the sender is our own address"
    if policy.now is not None:
        bounced = directory.undeliverable(view.from_address, policy.now)
        if bounced:
            return f"not acknowledged: mail to {view.from_address} bounced recently ({bounced})"
    if policy.now is not None and policy.acknowledgements_per_hour >= 0:
        sent = _count(directory.acknowledgements_since, view.from_address,
                      policy.now - timedelta(hours=1))
        if sent >= policy.acknowledgements_per_hour:
            return (
                f"acknowledgement suppressed: {sent} already sent to {_who(view.from_address)} "
                f"in the last hour (limit {policy.acknowledgements_per_hour})"
            )
    return None


def forward_limit(view: MessageView, policy: Policy, directory: Directory) -> str | None:
    """Why no more mail from this sender may be forwarded this hour, or None.

    Header checks never catch every auto-responder ("bounce detection can not be 100%
    reliable", FreeScout); a cap on forwards per sender stops what slips through.
    """
    if policy.now is None or not view.from_address or policy.forwards_per_sender_per_hour < 0:
        return None
    sent = _count(directory.forwards_since, view.from_address, policy.now - timedelta(hours=1))
    if sent < policy.forwards_per_sender_per_hour:
        return None
    return (f"forward suppressed: {sent} mails from {_who(view.from_address)} already forwarded in the "
            f"last hour (limit {policy.forwards_per_sender_per_hour})")


def _count(since: Callable[[str, datetime], int], address: str, start: datetime) -> int:
    """What was sent under the sender's cap key, plus (while rows recorded under the full
    plus-address may still exist) what was recorded under the address itself."""
    key = sender_cap_key(address)
    count = since(key, start)
    if address != key:
        count += since(address, start)
    return count


def _who(address: str) -> str:
    key = sender_cap_key(address)
    return address if key == address else f"{address} (counted as {key})"
