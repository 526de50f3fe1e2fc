"""The FakeDirectory with the lookups of XML transactions and account rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.automation import field_key
from domain.model import FieldMatch, Policy, RecordRef
from domain.ticket_threading import compile_ticket_pattern
from tests.domain.fakes import FakeDirectory


@dataclass
class FakeRecordDirectory(FakeDirectory):
    records: dict[tuple[str, int], RecordRef] = field(default_factory=dict)
    account_fields: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)

    def add_record(self, kind: str, record_id: int, account_id: int | None = None) -> RecordRef:
        ref = RecordRef(kind, record_id, record_id if kind == "ACCOUNT" else account_id)
        self.records[(kind, record_id)] = ref
        return ref

    def add_named_account(self, account_id: int, name: str, **fields: str) -> None:
        self.add_record("ACCOUNT", account_id)
        self.account_fields.append((account_id, name, {"name": name, **fields}))

    def xml_record(self, kind: str, record_id: int) -> RecordRef | None:
        return self.records.get((kind, record_id))

    def accounts_by_field(self, field: str, keys: Sequence[str]) -> Sequence[FieldMatch]:
        found = []
        for account_id, name, values in self.account_fields:
            value = str(account_id) if field == "id" else field_key(values.get(field))
            if value is not None and value in keys:
                found.append(FieldMatch(value, account_id, name))
        return found


POLICY = Policy(public_address="support@msp.example", support_team_address="team@msp.example",
                from_address="support@msp.example", ticket_pattern=compile_ticket_pattern(None),
                now=datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
