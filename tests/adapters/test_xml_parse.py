"""Reading XML transactions through defusedxml: hostile documents are refused, never expanded."""

from __future__ import annotations

import time
from email.message import EmailMessage

import pytest

from adapters.mail.headers import parse_message
from adapters.mail.xml_parts import transactions_in
from adapters.xml.parse import MAX_BYTES, MAX_DEPTH, MAX_ELEMENTS, MAX_RECORDS, parse_transaction
from adapters.xml.render import render_response
from domain.xml_api import RecordResult, TransactionResult
from domain.xml_model import XmlCode, XmlRecord, XmlTransaction

ENVELOPE = (b"<SendResponseToEmail>forms@web.example</SendResponseToEmail>"
            b"<ReturnTransactionID>t-1</ReturnTransactionID><DataKind>TICKET</DataKind>")
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE CommitCRMTransaction [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<CommitCRMTransaction>""" + ENVELOPE + b"""
<RecordData><FLDTKTPROBLEM>&lol9;</FLDTKTPROBLEM></RecordData></CommitCRMTransaction>"""


def transaction(body: bytes = b"<RecordData><FLDTKTPROBLEM>x</FLDTKTPROBLEM></RecordData>",
                root: bytes = b"CommitCRMTransaction", head: bytes = b"") -> bytes:
    return head + b"<" + root + b">" + ENVELOPE + body + b"</" + root + b">"


def refused(data: bytes) -> XmlTransaction:
    result = parse_transaction(data)
    assert result.problem is not None, result
    assert result.records == ()
    return result


class TestHostileDocuments:
    def test_a_billion_laughs_is_refused_at_once_without_expanding_anything(self) -> None:
        started = time.monotonic()
        result = refused(BILLION_LAUGHS)
        assert time.monotonic() - started < 0.5
        assert result.problem is not None and result.problem.code == XmlCode.ENTITIES_REFUSED
        assert "billion laughs" in result.problem.message

    def test_a_refused_document_still_says_where_to_answer_and_what_to_echo(self) -> None:
        result = refused(BILLION_LAUGHS)
        assert (result.respond_to, result.return_id) == ("forms@web.example", "t-1")

    def test_an_external_entity_is_refused_and_nothing_is_read(self) -> None:
        data = transaction(head=b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
                           body=b"<RecordData><FLDTKTPROBLEM>&xxe;</FLDTKTPROBLEM></RecordData>")
        result = refused(data)
        assert result.problem is not None and result.problem.code == XmlCode.EXTERNAL_REFUSED
        assert "root:" not in repr(result)

    def test_an_external_dtd_is_refused(self) -> None:
        result = refused(transaction(head=b'<!DOCTYPE x SYSTEM "http://evil.example/x.dtd">'))
        assert result.problem is not None and result.problem.code == XmlCode.EXTERNAL_REFUSED

    def test_any_dtd_is_refused(self) -> None:
        result = refused(transaction(head=b"<!DOCTYPE CommitCRMTransaction>"))
        assert result.problem is not None and result.problem.code == XmlCode.DTD_REFUSED

    def test_deep_nesting_is_refused(self) -> None:
        deep = b"<a>" * 10_000 + b"</a>" * 10_000
        result = refused(transaction(body=b"<RecordData><FLDTKTPROBLEM>" + deep
                                     + b"</FLDTKTPROBLEM></RecordData>"))
        assert result.problem is not None and result.problem.code == XmlCode.TOO_DEEP
        assert f"more than {MAX_DEPTH} deep" in result.problem.message

    def test_too_many_elements_are_refused(self) -> None:
        many = b"<RecordData><FLDTKTPROBLEM>x</FLDTKTPROBLEM></RecordData>" * (MAX_ELEMENTS // 2 + 1)
        result = refused(transaction(body=many))
        assert result.problem is not None and result.problem.code == XmlCode.TOO_MANY_ELEMENTS

    def test_too_many_records_in_one_transaction_are_refused(self) -> None:
        many = b"<RecordData><FLDTKTPROBLEM>x</FLDTKTPROBLEM></RecordData>" * (MAX_RECORDS + 1)
        result = refused(transaction(body=many))
        assert result.problem is not None and f"at most {MAX_RECORDS}" in result.problem.message

    def test_an_oversize_document_is_refused_before_it_is_parsed(self) -> None:
        big = transaction(body=b"<RecordData><FLDTKTPROBLEM>" + b"x" * MAX_BYTES
                          + b"</FLDTKTPROBLEM></RecordData>")
        result = refused(big)
        assert result.problem is not None and result.problem.code == XmlCode.TOO_LARGE
        assert result.respond_to == "forms@web.example"

    @pytest.mark.parametrize("data", [b"<CommitCRMTransaction><DataKind>", b"\x00\xff garbage",
                                      b"<CommitCRMTransaction>&undefined;</CommitCRMTransaction>"])
    def test_malformed_xml_is_refused_with_the_parsers_reason(self, data: bytes) -> None:
        result = refused(data)
        assert result.problem is not None and result.problem.code == XmlCode.MALFORMED
        assert "not well-formed" in result.problem.message

    def test_entities_in_a_scavenged_address_are_not_expanded(self) -> None:
        data = BILLION_LAUGHS.replace(b"forms@web.example", b"&lol9;@web.example")
        assert refused(data).respond_to is None


class TestEnvelope:
    def test_both_roots_and_any_case_of_element_names_are_read(self) -> None:
        data = (b"<rangerMSPtransaction><DATAKIND>account</DATAKIND><password>pw</password>"
                b"<recorddata><fldcrdfullname> Acme </fldcrdfullname></recorddata>"
                b"</rangerMSPtransaction>")
        result = parse_transaction(data)
        assert result.problem is None and result.root == "RangerMSPTransaction"
        assert result.data_kind == "account" and result.password == "pw"
        assert result.records == (XmlRecord((("FLDCRDFULLNAME", " Acme "),)),)

    def test_several_records_are_kept_in_order(self) -> None:
        body = b"".join(b"<RecordData><FLDTKTPROBLEM>%d</FLDTKTPROBLEM></RecordData>" % i for i in range(3))
        assert [r.fields[0][1] for r in parse_transaction(transaction(body=body)).records] == ["0", "1", "2"]

    def test_namespaces_and_cdata_are_tolerated(self) -> None:
        data = (b'<c:CommitCRMTransaction xmlns:c="urn:x"><c:DataKind>TICKET</c:DataKind><c:RecordData>'
                b"<c:FLDTKTPROBLEM><![CDATA[a < b]]></c:FLDTKTPROBLEM></c:RecordData></c:CommitCRMTransaction>")
        result = parse_transaction(data)
        assert result.records[0].fields == (("FLDTKTPROBLEM", "a < b"),)

    @pytest.mark.parametrize(("data", "named"), [
        (transaction(body=b"<Surprise/>"), "unknown element <Surprise>"),
        (transaction(body=b"<DataKind>ASSET</DataKind>"), "given twice"),
        (transaction(body=b"<RecordData><FLDTKTPROBLEM><b>x</b></FLDTKTPROBLEM></RecordData>"),
         "must hold text"),
        (b"<Invoice/>", "is not a transaction"),
    ])
    def test_a_bad_envelope_is_named(self, data: bytes, named: str) -> None:
        result = parse_transaction(data)
        assert result.problem is not None and named in result.problem.message


def mail(body: str | None = None,
         attachments: tuple[tuple[str, str, bytes], ...] = ()) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "forms@web.example"
    msg.set_content(body if body is not None else "see attachment")
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def found(msg: EmailMessage) -> tuple[XmlTransaction, ...] | None:
    return transactions_in(parse_message(msg.as_bytes()), parse_transaction)


class TestInEmail:
    def test_a_body_that_is_a_transaction_is_read_without_the_signature_after_it(self) -> None:
        body = transaction().decode() + "\n-- \nSent from the web form\n"
        result = found(mail(body))
        assert result is not None and result[0].problem is None and len(result[0].records) == 1

    def test_several_documents_in_one_body_are_several_transactions(self) -> None:
        one = '<?xml version="1.0"?>\n' + transaction().decode()
        result = found(mail(one + "\n\n" + one.replace("t-1", "t-2")))
        assert result is not None and [t.return_id for t in result] == ["t-1", "t-2"]

    def test_an_xml_attachment_is_read(self) -> None:
        result = found(mail(attachments=(("tx.xml", "application/octet-stream", transaction()),)))
        assert result is not None and result[0].data_kind == "TICKET"

    def test_a_text_xml_part_is_read(self) -> None:
        result = found(mail(attachments=(("data", "text/xml", transaction()),)))
        assert result is not None and len(result) == 1

    def test_other_xml_and_ordinary_text_are_not_transactions(self) -> None:
        assert found(mail("Hello, the <CommitCRMTransaction> tag is broken")) is None
        assert found(mail(attachments=(("invoice.xml", "application/xml", b"<Invoice/>"),))) is None

    def test_a_non_utf8_body_without_a_declaration_is_read_in_its_charset(self) -> None:
        msg = mail(transaction(body="<RecordData><FLDTKTPROBLEM>Grüße</FLDTKTPROBLEM></RecordData>"
                               .encode()).decode())
        msg.set_content(msg.get_content(), charset="iso-8859-1", cte="8bit")
        result = found(msg)
        assert result is not None and result[0].records[0].fields[0][1] == "Grüße"


class TestResponse:
    def test_the_response_escapes_what_the_sender_chose_and_never_holds_the_password(self) -> None:
        tx = XmlTransaction(application="A & B <form>", return_id="</ReturnTransactionID>",
                            password="s3cret", data_kind="ticket")
        result = TransactionResult(tx, XmlCode.OK, "Ticket 0000124 created", (RecordResult(
            1, XmlCode.OK, "Ticket 0000124 created",
            (("FLDTKTRECID", "124"), ("FLDTKTTICKETNO", "0000124")), 124),))
        text = render_response(result)
        assert "s3cret" not in text
        reread = parse_transaction(text.encode().replace(b"TransactionResponse", b"Transaction"))
        assert (reread.application, reread.return_id) == ("A & B <form>", "</ReturnTransactionID>")
        assert "<Status>OK</Status>" in text and "<Code>0</Code>" in text
        assert "<FLDTKTRECID>124</FLDTKTRECID>" in text and "<DataKind>TICKET</DataKind>" in text
