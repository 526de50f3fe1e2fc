"""Writing planned XML records on a real database: a record the database refuses leaves nothing
behind, and the records around it are written."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from adapters.persistence.db import Database
from adapters.persistence.records import SqlRecords
from adapters.persistence.tables import Contact, Document, Ticket
from adapters.persistence.types import utcnow
from adapters.persistence.xml_store import XmlStore
from domain.messages import Origin
from domain.xml_model import XmlCode, XmlError
from domain.xml_records import RecordPlan


def count(db: Database, model: type) -> int:
    with db.reading() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_refused_record_is_undone_alone_and_the_next_one_is_written(db: Database) -> None:
    now = utcnow()
    with db.writing() as session:
        acme = SqlRecords(session).create("account", {"name": "Acme"}, now)
        store = XmlStore(session, now, Origin())
        good = RecordPlan("TICKET", None, {"account_id": acme.id, "subject": "a", "description": "a"})
        # A plan the domain would never make (its account does not exist): the database refuses it.
        bad = RecordPlan("TICKET", None, {"account_id": 999, "subject": "b", "description": "b"})
        results = [store(good), store(bad), store(good)]
    assert isinstance(results[0], int) and isinstance(results[2], int)
    assert isinstance(results[1], XmlError) and results[1].code == XmlCode.WRITE_FAILED
    assert "nothing of this record was written" in results[1].message
    assert count(db, Ticket) == 2 and count(db, Document) == 2


def test_a_new_account_gets_its_first_contact_with_its_address(db: Database) -> None:
    with db.writing() as session:
        store = XmlStore(session, utcnow(), Origin())
        account_id = store(RecordPlan("ACCOUNT", None, {"name": "Acme", "email": "bob@acme.example"},
                                      first_contact="Bob"))
        domain_only = store(RecordPlan("ACCOUNT", None, {"name": "Globex", "email": "globex.example"},
                                       first_contact="Gary"))
    with db.reading() as session:
        contacts = {c.account_id: (c.name, c.email)
                    for c in session.execute(select(Contact)).scalars()}
    assert contacts == {account_id: ("Bob", "bob@acme.example"), domain_only: ("Gary", None)}


def test_an_updated_ticket_gets_a_document_saying_what_changed(db: Database) -> None:
    now = utcnow()
    with db.writing() as session:
        acme = SqlRecords(session).create("account", {"name": "Acme"}, now)
        store = XmlStore(session, now, Origin(from_address="rmm@example.org"))
        ticket_id = store(RecordPlan("TICKET", None, {"account_id": acme.id, "subject": "Disk",
                                                      "description": "Disk full"}))
        assert isinstance(ticket_id, int)
        store(RecordPlan("TICKET", ticket_id, {"status": "closed"}))
    with db.reading() as session:
        texts = [d.text for d in session.execute(select(Document).order_by(Document.id)).scalars()]
        ticket = session.get(Ticket, ticket_id)
    assert texts == ["Disk full", "Updated by an XML transaction: status = closed"]
    assert ticket is not None and (ticket.status, ticket.source) == ("closed", "xml")


def test_a_contact_updated_by_an_xml_transaction_records_when(db: Database) -> None:
    created = utcnow()
    with db.writing() as session:
        store = XmlStore(session, created, Origin())
        account_id = store(RecordPlan("ACCOUNT", None, {"name": "Acme", "email": "bob@acme.example"},
                                      first_contact="Bob"))
    with db.reading() as session:
        contact = session.execute(select(Contact)).scalars().one()
    assert contact.updated_at == created
    later = created + timedelta(minutes=5)
    with db.writing() as session:
        XmlStore(session, later, Origin())(RecordPlan("CONTACT", contact.id, {"name": "Robert"}))
    with db.reading() as session:
        changed = session.get(Contact, contact.id)
    assert changed is not None and (changed.name, changed.account_id) == ("Robert", account_id)
    assert (changed.created_at, changed.updated_at) == (created, later)
