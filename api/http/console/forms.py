"""Settings forms generated from the registry's declarations, and their answers read back as
the same changes PATCH /api/v1/connector takes (secrets write-only: left empty, unchanged)."""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.datastructures import FormData

from domain.settings import SettingSpec

MULTILINE = {"acknowledgement_body"}


@dataclass
class Section:
    key: str
    title: str
    specs: list[SettingSpec]
    intro: str = ""
    checks: list[tuple[str, str]] = field(default_factory=list)  # (label, POST path)


def _parts(annotation: Any) -> tuple[Any, bool]:
    """The type without None, and whether None is allowed."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else str), True
    return annotation, False


def label(spec: SettingSpec) -> str:
    return spec.name.replace("_", " ").capitalize().replace("Smtp", "SMTP").replace(
        "Xml api", "XML API").replace("Imap", "IMAP").replace("Pop3", "POP3")


def inputs(section: Section, values: Any) -> list[dict[str, Any]]:
    """What each input of the section shows: its kind, its current value (never a secret's)."""
    shown = []
    for spec in section.specs:
        kind, optional = _parts(spec.annotation)
        value = getattr(values, spec.name, None)
        item: dict[str, Any] = {"name": spec.name, "label": label(spec), "doc": spec.doc,
                                "env": spec.environment_variable, "optional": optional}
        if spec.secret:
            item.update(kind="password", value="", is_set=bool(value))
        elif kind is bool:
            item.update(kind="checkbox", value=bool(value))
        elif typing.get_origin(kind) is Literal:
            item.update(kind="select", value=str(value), options=[str(o) for o in
                                                                  typing.get_args(kind)])
        elif kind in (int, float):
            item.update(kind="number", value="" if value is None else value,
                        step="any" if kind is float else "1", min=spec.minimum, max=spec.maximum)
        elif spec.name in MULTILINE:
            item.update(kind="textarea", value=value or "")
        else:
            item.update(kind="email" if "address" in spec.name else "text",
                        value="" if value is None else str(value))
        shown.append(item)
    return shown


def changes(specs: Sequence[SettingSpec], form: FormData) -> dict[str, Any]:
    """The form's answers as runtime changes: an empty optional field is unset, an empty
    secret is left as it is (unless its "clear" box is ticked), an unticked box is false, and
    a field the form did not send is left as it is."""
    found: dict[str, Any] = {}
    for spec in specs:
        kind, optional = _parts(spec.annotation)
        raw = form.get(spec.name)
        text = raw if isinstance(raw, str) else ""
        if raw is None and kind is not bool and not spec.secret:
            continue  # not on the form that was sent (an unticked box is absent too: below)
        if spec.secret:
            if form.get(f"clear:{spec.name}"):
                found[spec.name] = None
            elif text:
                found[spec.name] = text
        elif kind is bool:
            found[spec.name] = text == "true"
        elif not text.strip() and optional:
            found[spec.name] = None
        else:
            found[spec.name] = text.replace("\r\n", "\n") if spec.name in MULTILINE else text
    return found
