"""Whether a message's own authentication verdicts say its From: is forged.

The verdicts are the ones the receiving side wrote into the message: Authentication-Results
(RFC 8601) and ARC-Authentication-Results (RFC 8617). Anyone can write such a header too, so
only trusted ones are read:

- with no trusted authserv-ids configured (Policy.trusted_authserv_ids empty), the topmost
  Authentication-Results header only: the receiving MTA or provider prepends its own above
  anything the sender wrote (RFC 8601 §5 also asks it to remove forged ones bearing its id);
- with trusted ids configured, the topmost Authentication-Results header bearing one of them,
  else the ARC-Authentication-Results of the highest instance bearing one of them (a trusted
  forwarder's verdict, e.g. a mailing list or a gateway in front of our provider).

A message without such a header has no verdict: nothing changes for it.
"""

from __future__ import annotations

from domain.model import AuthResult, AuthVerdicts, MessageView, Policy

# A method result that is no proof of anything; temperror is left out (try again later, not a
# verdict) and so is pass.
_NOT_PASS = frozenset({"fail", "softfail", "none", "neutral", "policy", "permerror", "hardfail"})


def trusted_verdicts(view: MessageView, policy: Policy) -> AuthVerdicts | None:
    if not policy.trusted_authserv_ids:
        return next((v for v in view.auth_results if v.header == "authentication-results"), None)
    trusted = {i.strip().lower() for i in policy.trusted_authserv_ids if i.strip()}
    direct = next((v for v in view.auth_results
                   if v.header == "authentication-results" and v.authserv_id in trusted), None)
    if direct is not None:
        return direct
    arc = [v for v in view.auth_results
           if v.header == "arc-authentication-results" and v.authserv_id in trusted]
    return max(arc, key=lambda v: v.instance or 0) if arc else None


def failed_authentication(view: MessageView, policy: Policy) -> str | None:
    """Why the sender's address is not proven (DMARC fails, or SPF and DKIM both fail), or None.

    A pass counts only when it is for the From domain (relaxed alignment, RFC 7489 §3.1) when
    the verdict names the domain it checked: a DKIM signature of the attacker's own domain
    proves nothing about our employee's address.
    """
    verdicts = trusted_verdicts(view, policy)
    if verdicts is None or not view.from_address or "@" not in view.from_address:
        return None
    from_domain = view.from_address.rpartition("@")[2].lower()
    by = f"Authentication-Results of {verdicts.authserv_id}"
    dmarc = [r for r in verdicts.results if r.method == "dmarc"
             and _aligned(r.prop("header.from"), from_domain)]
    if any(r.result == "pass" for r in dmarc):
        return None
    if any(r.result == "fail" for r in dmarc):
        return f"DMARC fails for {from_domain} ({by})"
    checks = [r for r in verdicts.results if r.method in ("spf", "dkim")]
    if not checks:
        return None
    if any(_passes_for(r, from_domain) for r in checks):
        return None
    if any(r.result == "temperror" for r in checks):
        return None
    if not all(r.result in _NOT_PASS or r.result == "pass" for r in checks):
        return None  # a result we do not know: no verdict
    said = ", ".join(f"{r.method}={r.result}{_domain_note(r, from_domain)}" for r in checks)
    missing = {"spf", "dkim"} - {r.method for r in checks}
    if missing:
        said += "".join(f", no {m} result" for m in sorted(missing))
    return f"neither SPF nor DKIM passes for {from_domain} ({said}; {by})"


def _passes_for(result: AuthResult, from_domain: str) -> bool:
    if result.result != "pass":
        return False
    if result.method == "dkim":
        domain = result.prop("header.d") or _domain(result.prop("header.i"))
    else:
        domain = _domain(result.prop("smtp.mailfrom")) or _domain(result.prop("smtp.helo"))
    return _aligned(domain, from_domain)


def _domain_note(result: AuthResult, from_domain: str) -> str:
    if result.result == "pass":
        return " for another domain"
    return ""


def _domain(value: str | None) -> str | None:
    if not value:
        return None
    return value.rpartition("@")[2].strip().lower().rstrip(".") or None


def _aligned(domain: str | None, from_domain: str) -> bool:
    """Relaxed alignment, approximated without a public suffix list: same domain, or one a
    subdomain of the other. None (the verdict names no domain) counts as aligned."""
    if domain is None:
        return True
    domain = domain.lower().rstrip(".")
    return (domain == from_domain or from_domain.endswith("." + domain)
            or domain.endswith("." + from_domain))
