"""How a setting is declared: once, with everything every reader of it needs.

The registry (api/application/settings.py) lists the connector's own settings, and each
provider adapter declares its own next to its parsing. From the declarations come the
environment variables (CONNECTOR_<NAME>), their validation, the runtime values that
PATCH /api/v1/connector changes, the PATCH schema and the public view (secrets are write-only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class Secret(str):
    """A secret's value: a str whose repr never shows it (logs, tracebacks, debuggers)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'**********'"


@dataclass(frozen=True, slots=True)
class SettingSpec:
    name: str  # the environment variable is CONNECTOR_<NAME>
    annotation: Any  # a Python type: str, int, float, bool, Path, Literal[...], `X | None`
    default: Any
    doc: str
    group: str = "service"  # outgoing | incoming | processing | team | providers | service
    runtime: bool = False  # can change without a restart (PATCH /api/v1/connector, console)
    secret: bool = False  # write-only: never shown back, never logged
    minimum: float | None = None
    maximum: float | None = None
    # Raises ValueError with a sentence when a value is not acceptable (beyond its type).
    check: Callable[[Any], None] | None = None

    @property
    def environment_variable(self) -> str:
        return f"CONNECTOR_{self.name.upper()}"


def email_address(value: Any) -> None:
    if value is not None and "@" not in str(value):
        raise ValueError(f"{value!r} is not an email address")
