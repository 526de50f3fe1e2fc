"""Step 5 of processing: which account a sender belongs to.

The full address is tried first; only when no account holds it is the sender's domain tried
against the account fields that hold a bare domain (the seed's "Matching by Email or Domain Name").
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.addresses import domain_of
from domain.model import AccountMatch
from domain.ports import Directory


@dataclass(frozen=True, slots=True)
class SenderMatch:
    """The result of matching: exactly one account, several (an error), or none."""

    key: str | None
    by: str | None  # "address" | "domain" | None
    matches: tuple[AccountMatch, ...] = ()

    @property
    def account_ids(self) -> list[int]:
        return sorted({m.account_id for m in self.matches})

    @property
    def is_ambiguous(self) -> bool:
        return len(self.account_ids) > 1

    @property
    def account(self) -> AccountMatch | None:
        """The matched account, preferring a contact match so the ticket names the contact."""
        if len(self.account_ids) != 1:
            return None
        with_contact = [m for m in self.matches if m.contact_id is not None]
        return min(with_contact or self.matches, key=lambda m: (m.contact_id or 0))

    def describe_accounts(self) -> str:
        names: dict[int, str] = {}
        for m in self.matches:
            names.setdefault(m.account_id, m.account_name)
        return ", ".join(f"{account_id} ({names[account_id]})" for account_id in self.account_ids)


def match_sender(address: str | None, directory: Directory) -> SenderMatch:
    if not address:
        return SenderMatch(key=None, by=None)
    domain = domain_of(address)
    found = directory.accounts_holding([address, domain] if domain else [address])
    exact = tuple(m for m in found if m.key == address)
    if exact:
        return SenderMatch(key=address, by="address", matches=exact)
    by_domain = tuple(m for m in found if domain and m.key == domain)
    if by_domain:
        return SenderMatch(key=domain, by="domain", matches=by_domain)
    return SenderMatch(key=address, by=None)
