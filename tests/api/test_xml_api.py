"""The XML API end to end: transactions by email through /inbound/raw, the worker, the database
and the response mail caught by a real SMTP server; and the same over HTTP."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.entrypoints.web import create_app
from tests.adapters.test_xml_parse import BILLION_LAUGHS
from tests.api.conftest import Api, make_settings
from tests.conftest import SmtpSink
from tests.mail import email as make_email

PASSWORD = "correct horse battery staple"
FORMS = "forms@web.example"
ARCHIVE = "xml-archive@msp.example"
SENDER = "noreply@web.example"


def transaction(kind: str, *records: dict[str, object], password: str | None = PASSWORD,
                return_id: str = "t-1", respond_to: str | None = FORMS,
                root: str = "CommitCRMTransaction") -> str:
    head = ["<ExternalApplicationName>Web form</ExternalApplicationName>",
            f"<ReturnTransactionID>{return_id}</ReturnTransactionID>", f"<DataKind>{kind}</DataKind>"]
    if respond_to:
        head.append(f"<SendResponseToEmail>{respond_to}</SendResponseToEmail>")
    if password is not None:
        head.append(f"<Password>{password}</Password>")
    body = "".join("<RecordData>" + "".join(f"<{code}>{value}</{code}>" for code, value in r.items())
                   + "</RecordData>" for r in records)
    return f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>{"".join(head)}{body}</{root}>\n'


class XmlApi(Api):
    def __init__(self, client: TestClient, smtp: SmtpSink) -> None:
        super().__init__(client)
        self.smtp = smtp

    def mail_xml(self, xml: str, **kw: Any) -> dict[str, Any]:
        return self.deliver(make_email(sender=SENDER, subject="XML", body=xml, **kw))

    def response(self, count: int, *, to: list[str] | None = None) -> tuple[Message, ET.Element]:
        """The count-th response mail: its headers and its XML body. An authenticated one goes
        to SendResponseToEmail and the Bcc, never to the sender; pass `to` for the others."""
        mail = self.smtp.wait_for(count)[count - 1]
        assert mail.rcpt_tos == (to or [FORMS, ARCHIVE])
        parsed = message_from_bytes(mail.data, policy=default)
        assert parsed["To"] == (to or [FORMS])[0] and parsed["Bcc"] is None
        return parsed, ET.fromstring(parsed.get_content())  # type: ignore[attr-defined]


def ids(response: ET.Element, index: int = 0) -> dict[str, str]:
    record = response.findall("RecordData")[index]
    return {child.tag: child.text or "" for child in record} | dict(record.attrib)


@pytest.fixture
def xml(tmp_path: Path, smtp: SmtpSink, database_url: str) -> Iterator[XmlApi]:
    settings = make_settings(tmp_path, smtp, database_url=database_url, xml_api_enabled=True,
                             xml_api_password=PASSWORD, xml_api_response_bcc=ARCHIVE)
    with TestClient(create_app(settings)) as client:
        yield XmlApi(client, smtp)


class TestTickets:
    def test_a_ticket_is_created_and_answered_to_the_address_the_transaction_names(self, xml: XmlApi) -> None:
        acme = xml.account("Acme")
        message = xml.mail_xml(transaction("TICKET", {"FLDTKTCARDID": acme["id"], "FLDTKTPRIORITY": 10,
                                                      "FLDTKTPROBLEM": "Printer offline\nFloor 2"}))
        assert message["outcome"] == "xml_processed"
        assert "TICKET transaction t-1 from 'Web form': OK, Ticket 0000001 created" in message["reason"]
        assert f"response sent to {FORMS}" in message["reason"] and PASSWORD not in message["reason"]
        ticket = xml.get(f"/api/v1/tickets/{message['ticket_number']}")
        assert (ticket["account_id"], ticket["subject"], ticket["priority"], ticket["source"]) == \
            (acme["id"], "Printer offline", 10, "xml")
        documents = xml.get(f"/api/v1/tickets/{ticket['number']}/documents")["items"]
        assert [(d["kind"], d["text"], d["inbound_message_id"]) for d in documents] == \
            [("xml", "Printer offline\nFloor 2", message["id"])]

        mail, response = xml.response(1)
        assert mail["Subject"] == "XML transaction t-1: OK" and mail["Auto-Submitted"] == "auto-replied"
        assert response.tag == "CommitCRMTransactionResponse"
        assert [response.findtext(t) for t in ("ReturnTransactionID", "Status", "Code", "Message")] == \
            ["t-1", "OK", "0", "Ticket 0000001 created"]
        assert ids(response) | {"Message": ""} == {"FLDTKTRECID": str(ticket["id"]), "Message": "",
                                                   "FLDTKTTICKETNO": "0000001", "Index": "1",
                                                   "Status": "OK", "Code": "0"}
        assert PASSWORD not in mail.as_string()

    def test_a_ticket_is_updated_by_its_record_id(self, xml: XmlApi) -> None:
        acme = xml.account("Acme")
        xml.mail_xml(transaction("TICKET", {"FLDTKTCARDID": acme["id"], "FLDTKTPROBLEM": "Printer"}))
        update = xml.mail_xml(transaction("TICKET", {"FLDTKTRECID": 1, "FLDTKTSTATUS": "closed",
                                                     "FLDTKTPRIORITY": 3}, return_id="t-2"))
        assert update["outcome"] == "xml_processed" and "Ticket 0000001 updated" in update["reason"]
        ticket = xml.get("/api/v1/tickets/1")
        assert (ticket["status"], ticket["priority"], ticket["subject"]) == ("closed", 3, "Printer")
        assert [d["kind"] for d in xml.get("/api/v1/tickets/1/documents")["items"]] == ["xml", "xml"]
        _, response = xml.response(2)
        assert response.findtext("ReturnTransactionID") == "t-2"
        assert response.findtext("Message") == "Ticket 0000001 updated"

    def test_a_ticket_without_an_account_id_finds_its_account_by_its_email_field(self, xml: XmlApi) -> None:
        acme = xml.account("Acme", email="acme.example")
        message = xml.mail_xml(transaction("TICKET", {"FLDTKTEMAIL": "bob@acme.example",
                                                      "FLDTKTPROBLEM": "Web form request"},
                                           root="RangerMSPTransaction"))
        assert xml.get(f"/api/v1/tickets/{message['ticket_number']}")["account_id"] == acme["id"]
        _, response = xml.response(1)
        assert response.tag == "RangerMSPTransactionResponse"


class TestOtherRecords:
    def test_an_account_with_a_contact_is_created_and_both_are_updated(self, xml: XmlApi) -> None:
        created = xml.mail_xml(transaction("ACCOUNT", {
            "FLDCRDFULLNAME": "Acme Ltd", "FLDCRDEMAIL1": "bob@acme.example", "FLDCRDCARDID2": "A-1",
            "FLDCRDCONTACT": "Bob Jones"}))
        assert created["outcome"] == "xml_processed"
        _, response = xml.response(1)
        account_id = int(ids(response)["FLDCRDRECID"])
        account = xml.get(f"/api/v1/accounts/{account_id}")
        assert (account["name"], account["email"], account["account_number"]) == \
            ("Acme Ltd", "bob@acme.example", "A-1")
        [contact] = xml.get(f"/api/v1/accounts/{account_id}/contacts")["items"]
        assert (contact["name"], contact["email"]) == ("Bob Jones", "bob@acme.example")

        xml.mail_xml(transaction("ACCOUNT", {"FLDCRDRECID": account_id, "FLDCRDNOTES": "VIP"}))
        xml.mail_xml(transaction("CONTACT", {"FLDCRDRECID": contact["id"], "FLDCRDEMAIL1": "bj@acme.example"}))
        second = xml.mail_xml(transaction("CONTACT", {"FLDCRDCARDID": account_id,
                                                      "FLDCRDCONTACT": "Carol", "FLDCRDEMAIL1": "carol@acme.example"}))
        assert "Contact" in second["reason"] and "created" in second["reason"]
        assert xml.get(f"/api/v1/accounts/{account_id}")["notes"] == "VIP"
        contacts = xml.get(f"/api/v1/accounts/{account_id}/contacts")["items"]
        assert {(c["name"], c["email"]) for c in contacts} == {("Bob Jones", "bj@acme.example"),
                                                               ("Carol", "carol@acme.example")}
        _, response = xml.response(4)
        assert ids(response)["FLDCRDRECID"] == str(max(c["id"] for c in contacts))

    def test_an_asset_is_created_and_updated(self, xml: XmlApi) -> None:
        acme = xml.account("Acme")
        xml.mail_xml(transaction("ASSET", {"FLDASTACCRECID": acme["id"], "FLDASTNAME": "SRV01",
                                           "FLDASTSERIALNO": "SN-1", "FLDASTWARREXPDATE": "2028-01-31"}))
        _, response = xml.response(1)
        asset_id = ids(response)["FLDASTRECID"]
        xml.mail_xml(transaction("ASSET", {"FLDASTRECID": asset_id, "FLDASTSTATUS": "retired"}))
        asset = xml.get(f"/api/v1/assets/{asset_id}")
        assert (asset["name"], asset["serial_no"], asset["warranty_expires"], asset["status"]) == \
            ("SRV01", "SN-1", "2028-01-31", "retired")
        assert xml.get("/api/v1/assets", params={"account_id": acme["id"]})["total"] == 1
        _, updated = xml.response(2)
        assert updated.findtext("Message") == f"Asset {asset_id} updated"

    def test_a_charge_is_created_on_a_ticket_and_updated(self, xml: XmlApi) -> None:
        acme = xml.account("Acme")
        ticket = xml.post("/api/v1/tickets", {"account_id": acme["id"], "subject": "Server"})
        xml.mail_xml(transaction("CHARGE", {"FLDSLPTICKETID": ticket["id"], "FLDSLPDESC": "Onsite visit",
                                            "FLDSLPQUANTITY": "1.5", "FLDSLPPRICE": "95.00"}))
        _, response = xml.response(1)
        charge_id = ids(response)["FLDSLPRECID"]
        xml.mail_xml(transaction("CHARGE", {"FLDSLPRECID": charge_id, "FLDSLPSTAGE": "B"}))
        charge = xml.get(f"/api/v1/charges/{charge_id}")
        assert (charge["account_id"], charge["ticket_id"], charge["quantity"], charge["price"],
                charge["billable"], charge["stage"]) == (acme["id"], ticket["id"], "1.5", "95.00",
                                                         True, "billed")
        assert xml.get("/api/v1/charges", params={"ticket_id": ticket["id"]})["items"][0]["id"] == int(charge_id)

    def test_a_history_note_is_created_and_updated(self, xml: XmlApi) -> None:
        acme = xml.account("Acme")
        xml.mail_xml(transaction("HISTORYNOTE", {"FLDHISCARDID": acme["id"], "FLDHISKIND": "Call",
                                                 "FLDHISDESCRIPTION": "Called about the renewal",
                                                 "FLDHISNOTEDATETIME": "2026-11-27T09:30:00+01:00"}))
        _, response = xml.response(1)
        note_id = ids(response)["FLDHISRECID"]
        xml.mail_xml(transaction("HISTORYNOTE", {"FLDHISRECID": note_id,
                                                 "FLDHISDESCRIPTION": "Renewal agreed"}))
        note = xml.get(f"/api/v1/history-notes/{note_id}")
        assert (note["description"], note["kind"], note["note_date"]) == \
            ("Renewal agreed", "Call", "2026-11-27T08:30:00Z")
        assert xml.get("/api/v1/history-notes", params={"account_id": acme["id"]})["total"] == 1

    def test_several_records_of_one_transaction_are_written_in_order_each_with_its_result(self, xml: XmlApi) -> None:
        acme = xml.account("Acme")
        message = xml.mail_xml(transaction("ASSET", {"FLDASTACCRECID": acme["id"], "FLDASTNAME": "PC1"},
                                           {"FLDASTACCRECID": acme["id"], "FLDASTNAME": "PC2",
                                            "FLDASTCUSTPURDATE": "last week"},
                                           {"FLDASTACCRECID": acme["id"], "FLDASTNAME": "PC3"}))
        assert message["outcome"] == "xml_processed"
        assert [a["name"] for a in xml.get("/api/v1/assets")["items"]] == ["PC3", "PC1"]
        _, response = xml.response(1)
        assert [r.get("Status") for r in response.findall("RecordData")] == ["OK", "ERROR", "OK"]
        assert response.findtext("Code") == "303" and response.findtext("Status") == "ERROR"
        assert "FLDASTCUSTPURDATE: 'last week' is not a date" in ids(response, 1)["Message"]


class TestRejected:
    def _rejected(self, xml: XmlApi, document: str, code: str, named: str,
                  to: list[str] | None = None) -> None:
        message = xml.mail_xml(document)
        assert message["outcome"] == "xml_rejected", message["reason"]
        assert named in message["reason"]
        _, response = xml.response(1, to=to)
        assert (response.findtext("Status"), response.findtext("Code")) == ("ERROR", code)
        assert named in (response.findtext("Message") or "")
        assert response.findtext("ReturnTransactionID") == "t-1"
        for path in ("/api/v1/tickets", "/api/v1/accounts", "/api/v1/assets"):
            assert xml.get(path)["total"] == (1 if path == "/api/v1/accounts" else 0)

    def test_a_wrong_password_is_rejected_and_not_echoed(self, xml: XmlApi) -> None:
        acme = xml.account("Acme")
        document = transaction("TICKET", {"FLDTKTCARDID": acme["id"], "FLDTKTPROBLEM": "x"},
                               password="let me in")
        self._rejected(xml, document, "200", "the password is wrong", to=[SENDER])
        assert "let me in" not in xml.smtp.messages[0].data.decode()

    def test_a_missing_password_is_rejected(self, xml: XmlApi) -> None:
        xml.account("Acme")
        self._rejected(xml, transaction("TICKET", {"FLDTKTPROBLEM": "x"}, password=None), "200",
                       "the password is missing", to=[SENDER])

    def test_an_unknown_data_kind_is_rejected(self, xml: XmlApi) -> None:
        xml.account("Acme")
        self._rejected(xml, transaction("INVOICE", {"FLDINVTOTAL": "1"}), "300", "unknown DataKind 'INVOICE'")

    def test_an_unknown_field_is_rejected_and_nothing_of_the_record_is_written(self, xml: XmlApi) -> None:
        acme = xml.account("Acme")
        self._rejected(xml, transaction("TICKET", {"FLDTKTCARDID": acme["id"], "FLDTKTPROBLEM": "x",
                                                   "FLDTKTMOOD": "angry"}),
                       "302", "unknown field code(s) for TICKET: FLDTKTMOOD")

    def test_a_billion_laughs_is_rejected_and_the_service_stays_up(self, xml: XmlApi) -> None:
        xml.account("Acme")
        self._rejected(xml, BILLION_LAUGHS.decode().replace("forms@web.example", FORMS), "102",
                       "billion laughs", to=[SENDER])  # unreadable, so not authenticated
        assert xml.get("/api/v1/connector")["status"] == "on"
        followed = xml.mail_xml(transaction("ACCOUNT", {"FLDCRDFULLNAME": "Next"}, return_id="t-2"))
        assert followed["outcome"] == "xml_processed"

    def test_a_processed_transaction_is_never_carried_out_twice(self, xml: XmlApi) -> None:
        message = xml.mail_xml(transaction("ACCOUNT", {"FLDCRDFULLNAME": "Acme"}))
        again = xml.client.post(f"/api/v1/inbound-messages/{message['id']}/reprocess", headers=xml.headers)
        assert again.status_code == 409

    def test_no_response_goes_to_the_connectors_own_address(self, xml: XmlApi) -> None:
        message = xml.mail_xml(transaction("ACCOUNT", {"FLDCRDFULLNAME": "Acme"},
                                           respond_to="support@msp.example"))
        assert "is the connector's own address" in message["reason"]
        assert xml.get("/api/v1/outbound-messages")["total"] == 0


def test_while_the_xml_api_is_off_a_transaction_is_just_an_email(api: Api) -> None:
    message = api.deliver(make_email(sender=SENDER, body=transaction("ACCOUNT", {"FLDCRDFULLNAME": "X"})))
    assert message["outcome"] == "forwarded_unrecognized"
    assert api.get("/api/v1/accounts")["total"] == 0


class TestOverHttp:
    def post(self, xml: XmlApi, body: str | bytes, content_type: str = "application/xml",
             headers: dict[str, str] | None = None) -> Any:
        return xml.client.post("/api/v1/xml-transactions", content=body,
                               headers={"Content-Type": content_type, **(headers or xml.headers)})

    def test_a_transaction_is_answered_in_the_response_body_and_not_by_mail(self, xml: XmlApi) -> None:
        acme = xml.account("Acme")
        response = self.post(xml, transaction("TICKET", {"FLDTKTCARDID": acme["id"], "FLDTKTPROBLEM": "x"}))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/xml")
        body = ET.fromstring(response.content)
        assert (body.findtext("Status"), ids(body)["FLDTKTTICKETNO"]) == ("OK", "0000001")
        assert xml.get("/api/v1/tickets/1")["source"] == "xml"
        assert xml.get("/api/v1/outbound-messages")["total"] == 0

    def test_a_refused_transaction_is_422_with_the_xml_response(self, xml: XmlApi) -> None:
        response = self.post(xml, BILLION_LAUGHS)
        assert response.status_code == 422
        assert ET.fromstring(response.content).findtext("Code") == "102"
        response = self.post(xml, transaction("TICKET", {"FLDTKTPROBLEM": "x"}, password="no"))
        assert (response.status_code, ET.fromstring(response.content).findtext("Code")) == (422, "200")

    def test_the_endpoint_needs_an_api_key_an_xml_body_and_a_bounded_size(self, xml: XmlApi) -> None:
        document = transaction("ACCOUNT", {"FLDCRDFULLNAME": "Acme"})
        assert self.post(xml, document, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert self.post(xml, document, content_type="text/plain").status_code == 415
        assert self.post(xml, b"<a>" + b"x" * (1024 * 1024 + 1) + b"</a>").status_code == 413
        assert xml.get("/api/v1/accounts")["total"] == 0

    def test_the_endpoint_is_refused_while_the_xml_api_is_off(self, api: Api) -> None:
        response = api.client.post("/api/v1/xml-transactions", content=b"<CommitCRMTransaction/>",
                                   headers={**api.headers, "Content-Type": "application/xml"})
        assert response.status_code == 403 and "CONNECTOR_XML_API_ENABLED" in response.json()["detail"]


def test_a_response_bcc_to_the_public_address_is_refused_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must not be the public address"):
        make_settings(tmp_path, xml_api_enabled=True, xml_api_response_bcc="Support@msp.example")


class TestNoOpenRelay:
    """Anyone can mail the public address: without the password, the connector must not be a
    way to send mail to an address of the sender's choosing, with text of its choosing."""

    def test_without_the_password_the_response_goes_only_to_the_sender_once_and_cut_down(
            self, xml: XmlApi) -> None:
        bait = "BUY NOW " * 5000
        documents = "".join(
            transaction("TICKET", {"FLDTKTPROBLEM": "x"}, password="guess", return_id=bait,
                        respond_to="victim@elsewhere.example").replace("Web form", bait)
            for _ in range(3))
        message = xml.mail_xml(documents)
        assert message["outcome"] == "xml_rejected"
        assert "one response per message" in message["reason"]
        parsed, response = xml.response(1, to=[SENDER])
        time.sleep(0.3)
        assert len(xml.smtp.messages) == 1  # one response, not one per transaction
        assert xml.smtp.to("victim@elsewhere.example") == []
        assert "BUY" not in str(parsed["Subject"]) and len(xml.smtp.messages[0].data) < 3000
        assert response.findtext("ExternalApplicationName") is None
        assert len(response.findtext("ReturnTransactionID") or "") <= 40

    def test_unauthenticated_responses_can_be_turned_off(self, xml: XmlApi) -> None:
        xml.patch("/api/v1/connector", {"xml_api_unauthenticated_responses": "none"})
        message = xml.mail_xml(transaction("ACCOUNT", {"FLDCRDFULLNAME": "A"}, password="guess"))
        assert "not authenticated" in message["reason"]
        assert xml.get("/api/v1/outbound-messages")["total"] == 0

    def test_responses_to_a_sender_count_against_its_hourly_cap(self, xml: XmlApi) -> None:
        xml.patch("/api/v1/connector", {"acknowledgements_per_hour": 1})
        for i in range(3):
            xml.mail_xml(transaction("ACCOUNT", {"FLDCRDFULLNAME": "A"}, password="guess",
                                     return_id=f"t-{i}"), message_id=f"<relay-{i}@web.example>")
        outbound = xml.get("/api/v1/outbound-messages?kind=xml_response")
        assert outbound["total"] == 1
