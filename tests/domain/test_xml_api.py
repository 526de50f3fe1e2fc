"""Transactions: password, data kind, records in order with their own results, the outcome."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.decide import decide
from domain.decisions import ApplyXml, FileReply
from domain.model import MessageView, Outcome
from domain.xml_api import (
    carry_out,
    password_matches,
    response_address,
    screen,
    settle_message,
)
from domain.xml_model import XmlCode, XmlError, XmlRecord, XmlTransaction
from domain.xml_records import RecordPlan
from tests.domain.record_fakes import POLICY, FakeRecordDirectory

TICKET = (("FLDTKTCARDID", "12"), ("FLDTKTPROBLEM", "Printer offline"))


def tx(*records: tuple[tuple[str, str], ...], **fields: object) -> XmlTransaction:
    base = XmlTransaction(application="Web form", data_kind="TICKET", return_id="form-1",
                          respond_to="forms@web.example", password="s3cret",
                          records=tuple(XmlRecord(r) for r in records))
    return replace(base, **fields)  # type: ignore[arg-type]


class FakeWriter:
    """Hands out ids from 100 on; refuses the plans it is told to."""

    def __init__(self, refuse: int | None = None) -> None:
        self.written: list[RecordPlan] = []
        self.refuse = refuse

    def __call__(self, plan: RecordPlan) -> int | XmlError:
        if self.refuse is not None and len(self.written) + 1 == self.refuse:
            self.refuse = None
            return XmlError(XmlCode.WRITE_FAILED, "refused by the store")
        self.written.append(plan)
        return 99 + len(self.written)


@pytest.fixture
def directory() -> FakeRecordDirectory:
    d = FakeRecordDirectory()
    d.add_record("ACCOUNT", 12)
    return d


class TestPassword:
    def test_the_configured_password_must_be_given_and_match(self) -> None:
        assert password_matches("s3cret", "s3cret")
        assert password_matches("  s3cret\n", "s3cret")  # pretty-printed XML
        assert not password_matches("S3cret", "s3cret")
        assert not password_matches(None, "s3cret")

    def test_a_missing_or_wrong_password_refuses_the_transaction_without_echoing_it(self) -> None:
        wrong = screen(tx(TICKET, password="guess"), "s3cret")
        missing = screen(tx(TICKET, password=None), "s3cret")
        assert isinstance(wrong, XmlError) and wrong.code == XmlCode.PASSWORD
        assert isinstance(missing, XmlError) and "missing" in missing.message
        assert "guess" not in wrong.message and "s3cret" not in wrong.message

    def test_without_a_configured_password_none_is_needed(self) -> None:
        assert not isinstance(screen(tx(TICKET, password=None), None), XmlError)

    def test_the_password_never_shows_in_the_transactions_repr(self) -> None:
        assert "s3cret" not in repr(tx(TICKET))


class TestScreen:
    def test_an_unknown_data_kind_is_named_with_the_known_ones(self) -> None:
        e = screen(tx(TICKET, data_kind="INVOICE"), None)
        assert isinstance(e, XmlError) and e.code == XmlCode.UNKNOWN_KIND
        assert "'INVOICE'" in e.message and "HISTORYNOTE" in e.message

    def test_the_data_kind_is_case_insensitive(self) -> None:
        kind = screen(tx(TICKET, data_kind=" ticket "), None)
        assert not isinstance(kind, XmlError) and kind.name == "TICKET"

    def test_a_transaction_without_records_is_refused(self) -> None:
        e = screen(tx(), None)
        assert isinstance(e, XmlError) and e.code == XmlCode.NO_RECORDS

    def test_a_problem_found_while_reading_comes_first(self) -> None:
        problem = XmlError(XmlCode.ENTITIES_REFUSED, "refused: entities")
        assert screen(tx(TICKET, problem=problem, password="wrong"), "s3cret") == problem


class TestCarryOut:
    def test_records_are_written_in_order_each_with_its_own_result(self, directory) -> None:
        write = FakeWriter()
        second = (("FLDTKTCARDID", "12"), ("FLDTKTPROBLEM", "Second"))
        result = carry_out(tx(TICKET, second), password="s3cret", directory=directory, write=write)
        assert result.ok and [p.values["subject"] for p in write.written] == ["Printer offline", "Second"]
        assert [r.ids for r in result.records] == [
            (("FLDTKTRECID", "100"), ("FLDTKTTICKETNO", "0000100")),
            (("FLDTKTRECID", "101"), ("FLDTKTTICKETNO", "0000101"))]
        assert result.message == "2 records written: Ticket 0000100 created; Ticket 0000101 created"
        assert result.ticket_ids == [100, 101]

    def test_a_bad_record_is_rejected_alone_and_named_in_the_message(self, directory) -> None:
        write = FakeWriter()
        bad = (("FLDTKTCARDID", "12"), ("FLDTKTWHATEVER", "x"))
        result = carry_out(tx(bad, TICKET), password=None, directory=directory, write=write)
        assert len(write.written) == 1
        assert (result.ok, result.code, result.wrote) == (False, XmlCode.UNKNOWN_FIELD, True)
        assert result.records[0].code == XmlCode.UNKNOWN_FIELD and result.records[1].ok
        assert "record 1: unknown field code(s) for TICKET: FLDTKTWHATEVER" in result.message
        assert "written: Ticket 0000100 created" in result.message

    def test_a_record_the_store_refuses_is_reported_and_the_next_one_still_written(self, directory) -> None:
        result = carry_out(tx(TICKET, TICKET), password=None, directory=directory,
                           write=FakeWriter(refuse=1))
        assert [r.code for r in result.records] == [XmlCode.WRITE_FAILED, XmlCode.OK]

    def test_a_single_records_message_is_its_own(self, directory) -> None:
        result = carry_out(tx(TICKET), password=None, directory=directory, write=FakeWriter())
        assert (result.code, result.message) == (XmlCode.OK, "Ticket 0000100 created")

    def test_a_refused_transaction_writes_nothing(self, directory) -> None:
        write = FakeWriter()
        result = carry_out(tx(TICKET, password="nope"), password="s3cret", directory=directory, write=write)
        assert result.code == XmlCode.PASSWORD and write.written == [] and result.records == ()


class TestOutcome:
    def test_anything_written_is_xml_processed_so_it_is_never_carried_out_twice(self, directory) -> None:
        partly = carry_out(tx((("FLDTKTFOO", "1"),), TICKET), password=None, directory=directory,
                           write=FakeWriter())
        outcome, reason = settle_message([partly], ["response sent to forms@web.example"])
        assert outcome == Outcome.XML_PROCESSED
        assert reason.startswith("TICKET transaction form-1 from 'Web form': ERROR 302, 1 of 2 records")
        assert reason.endswith("; response sent to forms@web.example")

    def test_nothing_written_is_xml_rejected_with_each_transactions_reason(self, directory) -> None:
        results = [carry_out(tx(TICKET, password="x"), password="s3cret", directory=directory,
                             write=FakeWriter()),
                   carry_out(tx(TICKET, data_kind="NOPE"), password=None, directory=directory,
                             write=FakeWriter())]
        outcome, reason = settle_message(results, ["no response asked for"] * 2)
        assert outcome == Outcome.XML_REJECTED
        assert "ERROR 200, the password is wrong" in reason and "ERROR 300" in reason


class TestResponseAddress:
    OWN = frozenset({"support@msp.example"})

    def test_the_response_goes_to_the_address_the_transaction_names(self) -> None:
        assert response_address(tx(respond_to="Forms@Web.example"), self.OWN) == (
            "forms@web.example", "response sent to forms@web.example")

    @pytest.mark.parametrize(("respond_to", "note"), [
        (None, "no response asked for"),
        ("not an address", "is not an address"),
        ("support@msp.example", "is the connector's own address"),
    ])
    def test_no_response_without_a_usable_address_of_someone_else(self, respond_to, note) -> None:  # type: ignore[no-untyped-def]
        address, why = response_address(tx(respond_to=respond_to), self.OWN)
        assert address is None and note in why


class TestProcessingOrder:
    def view(self, **fields: object) -> MessageView:
        base = MessageView(from_address="forms@web.example", subject="Web form",
                           message_id="x@web.example", xml=(tx(TICKET),))
        return replace(base, **fields)  # type: ignore[arg-type]

    def test_a_message_holding_transactions_is_an_xml_decision(self, directory) -> None:
        decision = decide(self.view(), directory, POLICY)
        assert isinstance(decision, ApplyXml) and decision.transactions == (tx(TICKET),)

    def test_the_xml_api_comes_before_threading(self, directory) -> None:
        directory.add_ticket(5)
        assert isinstance(decide(self.view(subject="Ticket 5"), directory, POLICY), ApplyXml)
        assert isinstance(decide(self.view(subject="Ticket 5", xml=None), directory, POLICY), FileReply)

    def test_guards_come_before_the_xml_api(self, directory) -> None:
        decision = decide(self.view(from_address="support@msp.example"), directory, POLICY)
        assert decision.outcome == Outcome.IGNORED_LOOP
