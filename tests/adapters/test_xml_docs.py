"""docs/xml-api.md is the integrators' contract: it documents every field code and result code."""

from __future__ import annotations

import re
from pathlib import Path

from domain.xml_fields import KINDS
from domain.xml_model import XmlCode

DOC = (Path(__file__).resolve().parents[2] / "docs" / "xml-api.md").read_text()


def test_every_field_code_of_every_kind_is_in_that_kinds_table() -> None:
    for name, kind in KINDS.items():
        section = DOC.split(f"\n### {name}\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
        documented = set(re.findall(r"^\| `(FLD[A-Z0-9]+)` \|", section, re.MULTILINE))
        assert documented == {kind.recid, *kind.fields}, name


def test_every_result_code_is_in_the_table_and_none_other() -> None:
    table = DOC.split("## Result codes", 1)[1].split("\n## ", 1)[0]
    documented = {int(c) for c in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)}
    assert documented == {int(code) for code in XmlCode}
