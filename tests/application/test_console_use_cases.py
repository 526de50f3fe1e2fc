"""The console's own use cases: the decision steps of an outcome, the acknowledgement preview
and the "try a subject" box."""

from __future__ import annotations

import pytest

from api.application.console import decision_steps, preview_acknowledgement, try_subject
from api.application.runtime_settings import Values
from domain.errors import InvalidInput


def test_each_outcome_names_the_step_that_decided_it() -> None:
    steps = decision_steps("ticket_created", "sender bob@acme.example matched account 1")
    assert [state for _, state in steps] == ["passed"] * 5 + ["decided", "not reached"]
    assert decision_steps("duplicate", None)[0][1] == "decided"
    rule = decision_steps("forwarded_error", "alert; account rule 3 matched several accounts")
    assert rule[2] == ("automation rules", "decided")
    domain = decision_steps("forwarded_error", "two accounts claim acme.example: 1, 2")
    assert domain[5][1] == "decided"
    assert {state for _, state in decision_steps(None, None)} == {"not reached"}


def test_the_preview_fills_the_templates_and_names_a_stray_brace() -> None:
    values = Values({})
    subject, body = preview_acknowledgement(values, subject_template="[Ticket #{number}] {subject}",
                                            body_template="Hello{name}")
    assert (subject, body) == ("[Ticket #0000123] Printer offline", "Hello Bob Jones")
    with pytest.raises(InvalidInput, match="stray brace"):
        preview_acknowledgement(values, subject_template="{", body_template="")


def test_a_subject_is_tried_with_the_saved_pattern_or_one_being_edited() -> None:
    values = Values({"ticket_subject_pattern": None})
    assert try_subject(values, subject="Re: [Ticket #0000042] x") == ["0000042"]
    assert try_subject(values, subject="no number here") == []
    assert try_subject(values, subject="Case 17 update", pattern=r"case (\d+)") == ["0000017"]
    with pytest.raises(InvalidInput, match="ticket subject pattern"):
        try_subject(values, subject="x", pattern="(")
    with pytest.raises(InvalidInput, match="group"):
        try_subject(values, subject="x", pattern="case")
