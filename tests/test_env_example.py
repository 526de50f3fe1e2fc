"""`.env.example` is generated from the settings registry and lists every setting."""

from __future__ import annotations

from pathlib import Path

from dotenv import dotenv_values

from api.entrypoints.bootstrap import SPECS
from api.entrypoints.env_example import render

COMMITTED = Path(__file__).resolve().parents[1] / ".env.example"


def test_the_committed_file_matches_the_registry() -> None:
    assert COMMITTED.read_text() == render(), "run `make env-example` and commit .env.example"


def test_every_setting_is_listed_once_with_its_comment() -> None:
    lines = COMMITTED.read_text().splitlines()
    for spec in SPECS:
        [line] = [n for n, text in enumerate(lines) if text.startswith(f"#{spec.environment_variable}=")]
        assert lines[line - 1].startswith("# ") and spec.doc in lines[line - 1]


def test_a_default_uncommented_reads_back_as_the_default(tmp_path: Path) -> None:
    uncommented = tmp_path / ".env"
    uncommented.write_text("\n".join(line[1:] for line in COMMITTED.read_text().splitlines()
                                     if line.startswith("#CONNECTOR_")) + "\n")
    values = dotenv_values(uncommented)
    assert values["CONNECTOR_ACKNOWLEDGEMENT_BODY"].startswith("Hello{name},\n\n")  # type: ignore[union-attr]
    assert values["CONNECTOR_SMTP_PORT"] == "25"
