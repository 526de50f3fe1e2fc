"""The Dockerfile and compose.yaml as data, for the tests that check them (images cannot be
pulled or built on the test machines: the files are read, and their commands run in a venv)."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        """A JSON array (exec form) as a list; the shell form split as the shell would."""
        text = self.arguments.strip()
        return json.loads(text) if text.startswith("[") else shlex.split(text)


def dockerfile(path: Path = ROOT / "Dockerfile") -> list[Instruction]:
    """The instructions, comments dropped and continued lines (a trailing backslash) joined."""
    instructions, pending = [], ""
    for line in path.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def only(instructions: list[Instruction], keyword: str) -> list[Instruction]:
    return [i for i in instructions if i.keyword == keyword]


def environment(instructions: list[Instruction]) -> dict[str, str]:
    values: dict[str, str] = {}
    for instruction in only(instructions, "ENV"):
        for pair in shlex.split(instruction.arguments):
            name, _, value = pair.partition("=")
            values[name] = value
    return values


def pip_commands(instructions: list[Instruction]) -> list[list[str]]:
    """The arguments of each `pip ...` command the RUN lines make, in order."""
    found = []
    for instruction in only(instructions, "RUN"):
        for command in instruction.arguments.split("&&"):
            words = shlex.split(command)
            if words[:1] == ["pip"]:
                found.append(words[1:])
    return found


def healthcheck_command(instructions: list[Instruction]) -> list[str]:
    (check,) = only(instructions, "HEALTHCHECK")
    return Instruction("CMD", check.arguments.partition(" CMD ")[2]).exec_form()


def compose(path: Path = ROOT / "compose.yaml") -> dict[str, Any]:
    return yaml.safe_load(path.read_text())  # type: ignore[no-any-return]
