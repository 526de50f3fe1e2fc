"""Step 2 of processing (SPEC §2): automated-email rules.

Detection rules decide whether a message is automated (monitoring alerts and the like); only
then do skip rules (forward untouched) and account rules (open a ticket for the account found
in the subject or by the sender) apply. Each kind runs in position order, case-insensitive,
and the first rule that matches wins. Automated mail no rule settles goes on as regular mail.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from domain.addresses import address_key
from domain.decisions import CreateTicket, Decision, Forward
from domain.model import AutomationRule, FieldMatch, MessageView, Outcome, Policy
from domain.ports import Directory
from domain.sender_matching import match_sender

KINDS = ("detect", "skip", "account")
ACCOUNT_FIELDS = ("name", "account_number", "external_id", "id", "sender")
LOCATIONS = ("anywhere", "start", "end", "after")
_MAX_WORDS = 100  # of the subject searched for an account name or number
_MAX_NAME_WORDS = 12
_EDGE_PUNCTUATION = ".,;:!?()[]{}<>\"'#"


def field_key(value: str | None) -> str | None:
    """How names, account numbers and external ids are compared: case-folded, spaces collapsed."""
    if value is None:
        return None
    key = " ".join(value.split()).casefold()
    return key or None


def automated_email(view: MessageView, directory: Directory, policy: Policy) -> Decision | None:
    """Step 2: automated mail is skipped (forwarded untouched) or becomes a ticket by rule."""
    rules = policy.automation_rules
    detected = next((r for r in _of(rules, "detect") if detects(r, view)), None)
    if detected is None:
        return None
    why = f"automated email (detect rule {detected.id}: {_describe_detect(detected)})"
    skip = next((r for r in _of(rules, "skip") if _phrase_in(r.subject_contains, view.subject)),
                None)
    if skip is not None:
        return Forward(outcome=Outcome.AUTOMATED_SKIPPED,
                       reason=f"{why}; skip rule {skip.id} matched the subject phrase "
                              f"{skip.subject_contains!r}: forwarded untouched, not processed")
    for rule in _of(rules, "account"):
        decision = _ticket_by_rule(rule, view, directory, why)
        if decision is not None:
            return decision
    return None


def detects(rule: AutomationRule, view: MessageView) -> bool:
    """Sender and subject phrase, both when both are set (a rule with neither never matches)."""
    if not rule.sender and not rule.subject_contains:
        return False
    if rule.sender and not _sender_is(rule.sender, view.from_address):
        return False
    return not rule.subject_contains or _phrase_in(rule.subject_contains, view.subject)


def rule_problem(rule: AutomationRule) -> str | None:
    """Why a rule cannot work as configured, or None."""
    if rule.kind not in KINDS:
        return f"kind must be one of {', '.join(KINDS)}"
    if rule.location not in LOCATIONS:
        return f"location must be one of {', '.join(LOCATIONS)}"
    if rule.sender is not None and address_key(rule.sender.lstrip("@")) is None:
        return "sender must be an email address or a domain"
    if rule.kind == "detect" and not (rule.sender or rule.subject_contains):
        return "a detect rule needs a sender, a subject_contains phrase, or both"
    if rule.kind == "skip" and (not rule.subject_contains or rule.sender):
        return "a skip rule matches a subject_contains phrase (and no sender)"
    if rule.kind == "account":
        if rule.account_field not in ACCOUNT_FIELDS:
            return f"an account rule needs account_field: one of {', '.join(ACCOUNT_FIELDS)}"
        if rule.location == "after" and not (rule.marker and rule.marker.strip()):
            return "location 'after' needs the marker text the value follows"
    elif rule.account_field is not None:
        return "account_field belongs to account rules"
    if rule.marker and rule.location != "after":
        return "a marker is used only with location 'after'"
    return None


def _of(rules: Sequence[AutomationRule], kind: str) -> Iterator[AutomationRule]:
    ordered = sorted((r for r in rules if r.kind == kind and r.enabled),
                     key=lambda r: (r.position, r.id))
    return iter(ordered)


def _sender_is(wanted: str, sender: str | None) -> bool:
    if not sender:
        return False
    key = address_key(wanted.lstrip("@")) or ""
    if "@" in key:
        return key == sender
    # A bare domain (or @domain) names every sender at that domain.
    return sender.rpartition("@")[2] == key


def _phrase_in(phrase: str | None, subject: str) -> bool:
    wanted = field_key(phrase)
    if not wanted:
        return False
    return wanted in (field_key(subject) or "")


def _describe_detect(rule: AutomationRule) -> str:
    parts = []
    if rule.sender:
        parts.append(f"sender {rule.sender}")
    if rule.subject_contains:
        parts.append(f"subject contains {rule.subject_contains!r}")
    return " and ".join(parts)


def _ticket_by_rule(rule: AutomationRule, view: MessageView, directory: Directory,
                    why: str) -> Decision | None:
    if rule.account_field == "sender":
        match = match_sender(view.from_address, directory)
        if match.by is None:
            return None
        if match.is_ambiguous:
            return _ambiguous(rule, why, f"sender {view.from_address} by {match.by} {match.key}",
                              match.describe_accounts())
        account = match.account
        if account is None:
            return None
        return _ticket(rule, why, account.account_id, account.contact_id,
                       f"account {account.account_id} ({account.account_name}) by sender "
                       f"{view.from_address} ({match.by} {match.key})")
    keys = subject_keys(view.subject, rule)
    if not keys:
        return None
    matches = list(directory.accounts_by_field(rule.account_field or "", keys))
    if rule.account_field == "name":
        matches = _outermost(matches)
    accounts = {m.account_id: m.account_name for m in matches}
    if not accounts:
        return None
    where = rule.location if rule.location != "after" else f"after {rule.marker!r}"
    field = (rule.account_field or "").replace("_", " ")
    if len(accounts) > 1:
        found = ", ".join(f"{i} ({n})" for i, n in sorted(accounts.items()))
        return _ambiguous(rule, why, f"{field} in the subject ({where})", found)
    first = matches[0]
    return _ticket(rule, why, first.account_id, None,
                   f"account {first.account_id} ({first.account_name}) by {field} "
                   f"{first.key!r} in the subject ({where})")


def subject_keys(subject: str, rule: AutomationRule) -> list[str]:
    """The candidate values at the rule's place in the subject, as field keys."""
    region = subject or ""
    anchored = rule.location
    if rule.location == "after":
        at = region.casefold().find((rule.marker or "").casefold())
        if at < 0 or not rule.marker:
            return []
        region, anchored = region[at + len(rule.marker):], "start"
    # Words that are only punctuation ("Customer: Acme" after "Customer") are not values.
    words = [w for w in region.split() if w.strip(_EDGE_PUNCTUATION)]
    words = words[:_MAX_WORDS] if anchored != "end" else words[-_MAX_WORDS:]
    if not words:
        return []
    if rule.account_field == "name":
        spans = _spans(len(words), anchored)
        phrases = [" ".join(words[i:j]) for i, j in spans]
    else:
        tokens = [w.strip(_EDGE_PUNCTUATION) for w in words]
        phrases = {"start": tokens[:1], "end": tokens[-1:]}.get(anchored, tokens)
        if rule.account_field == "id":
            phrases = [p for p in phrases if p.isascii() and p.isdigit() and len(p) <= 18]
    keys: list[str] = []
    for phrase in phrases:
        for variant in (phrase, phrase.strip(_EDGE_PUNCTUATION)):
            key = field_key(variant)
            if key and key not in keys:
                keys.append(key)
    return keys


def _spans(count: int, anchored: str) -> list[tuple[int, int]]:
    longest = _MAX_NAME_WORDS
    if anchored == "start":
        return [(0, j) for j in range(1, min(count, longest) + 1)]
    if anchored == "end":
        return [(i, count) for i in range(max(0, count - longest), count)]
    return [(i, j) for i in range(count) for j in range(i + 1, min(count, i + longest) + 1)]


def _outermost(matches: Sequence[FieldMatch]) -> list[FieldMatch]:
    """Without names found only as part of a longer one: "Acme Corp: disk full" names Acme Corp,
    not also Acme. Two unrelated names stay, and are reported as ambiguous."""
    def inside(short: str, long: str) -> bool:
        return short != long and f" {short} " in f" {long} "
    return [m for m in matches if not any(inside(m.key, other.key) for other in matches)]


def _ticket(rule: AutomationRule, why: str, account_id: int, contact_id: int | None,
            found: str) -> CreateTicket:
    return CreateTicket(
        outcome=Outcome.AUTOMATED_TICKET,
        reason=f"{why}; account rule {rule.id} found {found}; no acknowledgement to automated mail",
        account_id=account_id, contact_id=contact_id, acknowledge=False,
    )


def _ambiguous(rule: AutomationRule, why: str, what: str, accounts: str) -> Forward:
    return Forward(outcome=Outcome.FORWARDED_ERROR,
                   reason=f"{why}; account rule {rule.id} matched several accounts by {what}: "
                          f"{accounts}; forwarded for a person to decide")
