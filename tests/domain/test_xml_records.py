"""Planning one XML record: field codes, values, create vs update, references, on plain objects."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.xml_fields import ACCOUNT, ASSET, CHARGE, CONTACT, HISTORYNOTE, KINDS, TICKET
from domain.xml_model import XmlCode, XmlError, XmlRecord
from domain.xml_records import RecordPlan, plan_record, ticket_subject
from tests.domain.record_fakes import FakeRecordDirectory


def record(**fields: str) -> XmlRecord:
    return XmlRecord(tuple(fields.items()))


@pytest.fixture
def directory() -> FakeRecordDirectory:
    d = FakeRecordDirectory()
    d.add_record("ACCOUNT", 12)
    d.add_record("ACCOUNT", 13)
    d.add_record("CONTACT", 7, account_id=12)
    d.add_record("TICKET", 124, account_id=12)
    d.add_record("EMPLOYEE", 3)
    return d


def plan(kind, directory, **fields: str) -> RecordPlan:  # type: ignore[no-untyped-def]
    result = plan_record(kind, record(**fields), directory)
    assert isinstance(result, RecordPlan), result
    return result


def error(kind, directory, **fields: str) -> XmlError:  # type: ignore[no-untyped-def]
    result = plan_record(kind, record(**fields), directory)
    assert isinstance(result, XmlError), result
    return result


class TestCreateOrUpdate:
    def test_without_a_record_id_a_ticket_is_created_with_typed_values(self, directory) -> None:
        p = plan(TICKET, directory, FLDTKTCARDID="12", FLDTKTPROBLEM="Printer offline\nfloor 2",
                 FLDTKTPRIORITY="10", FLDTKTSTATUS="In Progress")
        assert p.creates and p.record_id is None
        assert p.values == {"account_id": 12, "description": "Printer offline\nfloor 2",
                            "priority": 10, "status": "in_progress", "subject": "Printer offline"}

    def test_a_record_id_updates_only_the_fields_given(self, directory) -> None:
        p = plan(TICKET, directory, FLDTKTRECID="124", FLDTKTSTATUS="closed")
        assert (p.creates, p.record_id, p.values) == (False, 124, {"status": "closed"})

    def test_an_unknown_record_id_is_an_error_and_nothing_is_planned(self, directory) -> None:
        e = error(TICKET, directory, FLDTKTRECID="999", FLDTKTSTATUS="closed")
        assert e.code == XmlCode.RECORD_NOT_FOUND and "ticket 999 (FLDTKTRECID) does not exist" in e.message

    @pytest.mark.parametrize("recid", ["abc", "0", "-4", "1.5", "CRDO4H7A4S453D55P4JJ", "99999999999999999999"])
    def test_a_record_id_that_is_not_ours_is_a_bad_value(self, directory, recid: str) -> None:
        assert error(ACCOUNT, directory, FLDCRDRECID=recid).code == XmlCode.BAD_VALUE

    def test_an_empty_record_id_element_means_create(self, directory) -> None:
        assert plan(ACCOUNT, directory, FLDCRDRECID="", FLDCRDFULLNAME="Acme").creates

    def test_an_update_may_empty_an_optional_field_but_not_a_required_one(self, directory) -> None:
        assert plan(TICKET, directory, FLDTKTRECID="124", FLDTKTPRIORITY="").values == {"priority": None}
        e = error(TICKET, directory, FLDTKTRECID="124", FLDTKTPROBLEM=" ")
        assert e.code == XmlCode.MISSING_FIELD and "FLDTKTPROBLEM cannot be emptied" in e.message

    def test_the_account_of_a_record_is_fixed_once_it_exists(self, directory) -> None:
        e = error(TICKET, directory, FLDTKTRECID="124", FLDTKTCARDID="13")
        assert e.code == XmlCode.NOT_SETTABLE and "FLDTKTCARDID" in e.message

    def test_the_ticket_number_is_the_connectors_to_assign(self, directory) -> None:
        e = error(TICKET, directory, FLDTKTCARDID="12", FLDTKTPROBLEM="x", FLDTKTTICKETNO="7")
        assert e.code == XmlCode.NOT_SETTABLE


class TestFieldsAndValues:
    def test_unknown_field_codes_are_named_not_dropped(self, directory) -> None:
        e = error(TICKET, directory, FLDTKTCARDID="12", FLDTKTPROBLEM="x", FLDTKTFOO="1", FLDCRDCITY="y")
        assert e.code == XmlCode.UNKNOWN_FIELD
        assert "FLDTKTFOO" in e.message and "FLDCRDCITY" in e.message

    @pytest.mark.parametrize(("kind", "fields", "named"), [
        (TICKET, {"FLDTKTPRIORITY": "high"}, "FLDTKTPRIORITY: 'high' is not a whole number"),
        (TICKET, {"FLDTKTPRIORITY": "1001"}, "FLDTKTPRIORITY: '1001'"),
        (TICKET, {"FLDTKTSTATUS": "pending"}, "FLDTKTSTATUS: 'pending' is not one of"),
        (ACCOUNT, {"FLDCRDEMAIL1": "not an address"}, "FLDCRDEMAIL1: 'not an address'"),
        (CHARGE, {"FLDSLPPRICE": "12,50"}, "FLDSLPPRICE: '12,50' is not a number"),
        (CHARGE, {"FLDSLPPRICE": "NaN"}, "FLDSLPPRICE: 'NaN'"),
        (CHARGE, {"FLDSLPQUANTITY": "1.00001"}, "at most 4 decimals"),
        (CHARGE, {"FLDSLPSLIPDATE": "27/11/2026"}, "FLDSLPSLIPDATE: '27/11/2026' is not a date"),
        (HISTORYNOTE, {"FLDHISNOTEDATETIME": "yesterday"}, "is not a date and time"),
        (ASSET, {"FLDASTNAME": "x" * 251}, "FLDASTNAME is 251 characters long; at most 250"),
    ])
    def test_bad_values_are_named_with_the_field(self, directory, kind, fields, named) -> None:  # type: ignore[no-untyped-def]
        base = {"TICKET": {"FLDTKTRECID": "124"}, "ACCOUNT": {"FLDCRDRECID": "12"},
                "CHARGE": {"FLDSLPCARDID": "12", "FLDSLPDESC": "x"},
                "HISTORYNOTE": {"FLDHISCARDID": "12", "FLDHISDESCRIPTION": "x"},
                "ASSET": {"FLDASTACCRECID": "12"}}[kind.name]
        e = error(kind, directory, **base, **fields)
        assert e.code == XmlCode.BAD_VALUE and named in e.message

    def test_all_problems_of_a_record_are_reported_together(self, directory) -> None:
        e = error(TICKET, directory, FLDTKTRECID="124", FLDTKTPRIORITY="x", FLDTKTSTATUS="y")
        assert "FLDTKTPRIORITY" in e.message and "FLDTKTSTATUS" in e.message

    def test_a_field_given_twice_is_refused(self, directory) -> None:
        result = plan_record(TICKET, XmlRecord((("FLDTKTPROBLEM", "a"), ("FLDTKTPROBLEM", "b"))),
                             directory)
        assert isinstance(result, XmlError) and "given twice: FLDTKTPROBLEM" in result.message

    def test_required_fields_of_a_new_record_are_listed(self, directory) -> None:
        e = error(ASSET, directory, FLDASTSERIALNO="SN1")
        assert e.code == XmlCode.MISSING_FIELD
        assert "FLDASTACCRECID" in e.message and "FLDASTNAME" in e.message

    def test_charges_keep_money_as_exact_text_and_read_billing_codes(self, directory) -> None:
        p = plan(CHARGE, directory, FLDSLPCARDID="12", FLDSLPDESC="Onsite", FLDSLPQUANTITY="1.5",
                 FLDSLPPRICE="95.00", FLDSLPBILLKIND="N", FLDSLPSTAGE="B", FLDSLPSLIPDATE="2026-11-27")
        assert p.values == {"account_id": 12, "description": "Onsite", "quantity": "1.5",
                            "price": "95.00", "billable": False, "stage": "billed",
                            "charge_date": date(2026, 11, 27)}

    def test_a_note_time_without_an_offset_is_utc(self, directory) -> None:
        p = plan(HISTORYNOTE, directory, FLDHISCARDID="12", FLDHISDESCRIPTION="Called",
                 FLDHISNOTEDATETIME="2026-11-27T09:30:00")
        assert p.values["note_date"] == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)

    def test_field_codes_of_every_kind_have_the_kinds_prefix(self) -> None:
        prefixes = {"ACCOUNT": "FLDCRD", "CONTACT": "FLDCRD", "TICKET": "FLDTKT", "ASSET": "FLDAST",
                    "CHARGE": "FLDSLP", "HISTORYNOTE": "FLDHIS"}
        for name, kind in KINDS.items():
            assert all(code.startswith(prefixes[name]) for code in [kind.recid, *kind.fields])


class TestReferences:
    def test_a_reference_to_a_missing_record_names_the_field(self, directory) -> None:
        e = error(TICKET, directory, FLDTKTCARDID="55", FLDTKTPROBLEM="x")
        assert e.code == XmlCode.REFERENCE_NOT_FOUND and e.message == "FLDTKTCARDID: there is no account 55"

    def test_a_contact_of_another_account_is_a_mismatch(self, directory) -> None:
        e = error(TICKET, directory, FLDTKTCARDID="13", FLDTKTCONTACTID="7", FLDTKTPROBLEM="x")
        assert e.code == XmlCode.MISMATCH and "contact 7 belongs to account 12" in e.message

    def test_a_charge_takes_its_account_from_its_ticket(self, directory) -> None:
        p = plan(CHARGE, directory, FLDSLPTICKETID="124", FLDSLPDESC="Remote work", FLDSLPWORKERID="3")
        assert p.values["account_id"] == 12 and p.values["employee_id"] == 3

    def test_a_note_on_a_ticket_of_another_account_is_a_mismatch(self, directory) -> None:
        e = error(HISTORYNOTE, directory, FLDHISCARDID="13", FLDHISLINKRECID="124", FLDHISDESCRIPTION="x")
        assert e.code == XmlCode.MISMATCH

    def test_a_new_ticket_without_an_account_id_is_matched_by_its_email_field(self, directory) -> None:
        directory.add_account(12, "Acme", "acme.example")
        p = plan(TICKET, directory, FLDTKTEMAIL="Bob@Acme.example", FLDTKTPROBLEM="x")
        assert p.values["account_id"] == 12
        assert "found by FLDTKTEMAIL bob@acme.example by domain acme.example" in p.notes[0]

    def test_the_email_field_links_the_matched_contact(self, directory) -> None:
        directory.add_account(12, "Acme", "bob@acme.example", contact_id=7)
        assert plan(TICKET, directory, FLDTKTEMAIL="bob@acme.example", FLDTKTPROBLEM="x").values["contact_id"] == 7

    def test_an_email_field_matching_no_or_several_accounts_is_an_error(self, directory) -> None:
        assert error(TICKET, directory, FLDTKTEMAIL="x@nowhere.example", FLDTKTPROBLEM="x").code == XmlCode.NO_ACCOUNT
        directory.add_account(12, "Acme East", "acme.example")
        directory.add_account(13, "Acme West", "acme.example")
        e = error(TICKET, directory, FLDTKTEMAIL="bob@acme.example", FLDTKTPROBLEM="x")
        assert e.code == XmlCode.NO_ACCOUNT and "12 (Acme East), 13 (Acme West)" in e.message

    def test_a_new_ticket_with_neither_account_nor_email_says_what_is_needed(self, directory) -> None:
        e = error(TICKET, directory, FLDTKTPROBLEM="x")
        assert e.code == XmlCode.MISSING_FIELD and "FLDTKTCARDID or FLDTKTEMAIL" in e.message


class TestAccountsAndContacts:
    def test_an_account_is_named_by_file_as_or_company_and_may_bring_a_contact(self, directory) -> None:
        p = plan(ACCOUNT, directory, FLDCRDCOMPANY="Acme Ltd", FLDCRDEMAIL1="acme.example",
                 FLDCRDCARDID2="A-1", FLDCRDCONTACT="Bob Jones")
        assert p.values == {"name": "Acme Ltd", "email": "acme.example", "account_number": "A-1"}
        assert p.first_contact == "Bob Jones"

    def test_two_different_names_for_one_account_are_refused(self, directory) -> None:
        e = error(ACCOUNT, directory, FLDCRDFULLNAME="Acme", FLDCRDCOMPANY="Other")
        assert e.code == XmlCode.BAD_VALUE

    def test_a_new_account_needs_a_name(self, directory) -> None:
        assert error(ACCOUNT, directory, FLDCRDEMAIL1="acme.example").code == XmlCode.MISSING_FIELD

    def test_a_contact_belongs_to_an_existing_account(self, directory) -> None:
        assert plan(CONTACT, directory, FLDCRDCARDID="12", FLDCRDCONTACT="Bob").values == {
            "account_id": 12, "name": "Bob"}
        assert error(CONTACT, directory, FLDCRDCARDID="99", FLDCRDCONTACT="Bob").code == XmlCode.REFERENCE_NOT_FOUND

    def test_contacts_are_updated_by_their_own_record_id(self, directory) -> None:
        p = plan(CONTACT, directory, FLDCRDRECID="7", FLDCRDEMAIL1="bob@acme.example")
        assert (p.record_id, p.values) == (7, {"email": "bob@acme.example"})


@pytest.mark.parametrize(("description", "subject"), [
    ("Printer offline\nsecond line", "Printer offline"),
    ("\n\n  indented first  \nx", "indented first"),
    ("x" * 300, "x" * 197 + "..."),
])
def test_a_ticket_subject_is_the_first_line_of_its_description(description: str, subject: str) -> None:
    assert ticket_subject(description) == subject
