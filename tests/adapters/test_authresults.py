"""Reading Authentication-Results and ARC-Authentication-Results (adapters/mail/authresults.py)."""

from __future__ import annotations

from adapters.mail.authresults import parse_auth_results
from adapters.mail.headers import parse_message
from adapters.mail.view import message_view


def test_a_gmail_style_header_gives_each_method_its_result_and_properties() -> None:
    verdicts = parse_auth_results(
        "mx.google.com;\r\n       dkim=pass header.i=@acme.example header.s=s1 header.b=Ab12;\r\n"
        "       spf=softfail (google.com: domain of transitioning x@evil.example does not "
        "designate 1.2.3.4 as permitted sender) smtp.mailfrom=x@evil.example;\r\n"
        "       dmarc=fail (p=REJECT sp=REJECT dis=NONE) header.from=acme.example")
    assert verdicts is not None and verdicts.authserv_id == "mx.google.com"
    assert [(r.method, r.result) for r in verdicts.results] == [
        ("dkim", "pass"), ("spf", "softfail"), ("dmarc", "fail")]
    assert verdicts.results[2].prop("header.from") == "acme.example"
    assert verdicts.results[1].prop("smtp.mailfrom") == "x@evil.example"


def test_version_quotes_comments_and_none() -> None:
    verdicts = parse_auth_results('mx.msp.example 1; (a comment; with (nested) semicolons) '
                                  'dkim=pass reason="good; signature" header.d=acme.example')
    assert verdicts is not None and verdicts.authserv_id == "mx.msp.example"
    assert [(r.method, r.result, r.prop("header.d")) for r in verdicts.results] == [
        ("dkim", "pass", "acme.example")]
    empty = parse_auth_results("mx.msp.example; none")
    assert empty is not None and empty.results == ()


def test_arc_headers_carry_their_instance_and_garbage_is_skipped() -> None:
    arc = parse_auth_results("i=2; lists.example; spf=pass smtp.mailfrom=acme.example", arc=True)
    assert arc is not None and (arc.instance, arc.authserv_id) == (2, "lists.example")
    assert parse_auth_results("no instance; spf=pass", arc=True) is None
    assert parse_auth_results(";;;") is None
    assert parse_auth_results("\x00" * 10_000 + "=" * 10_000) is None


def test_the_view_lists_the_headers_topmost_first() -> None:
    raw = (b"Authentication-Results: mx.msp.example; dmarc=fail header.from=msp.example\r\n"
           b"Authentication-Results: forged.example; dmarc=pass header.from=msp.example\r\n"
           b"ARC-Authentication-Results: i=1; gw.example; spf=pass\r\n"
           b"From: alice@msp.example\r\nSubject: hi\r\n\r\nbody\r\n")
    view = message_view(parse_message(raw))
    assert [(v.header, v.authserv_id) for v in view.auth_results] == [
        ("authentication-results", "mx.msp.example"),
        ("authentication-results", "forged.example"),
        ("arc-authentication-results", "gw.example")]
