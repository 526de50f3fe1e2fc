"""Whether a new ticket may be acknowledged to its sender."""

from __future__ import annotations

from datetime import timedelta

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
    if policy.now is not None and policy.acknowledgements_per_hour >= 0:
        sent = directory.acknowledgements_since(view.from_address, policy.now - timedelta(hours=1))
        if sent >= policy.acknowledgements_per_hour:
            return (
                f"acknowledgement suppressed: {sent} already sent to {view.from_address} "
                f"in the last hour (limit {policy.acknowledgements_per_hour})"
            )
    return None
