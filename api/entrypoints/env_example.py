"""Print `.env.example` (`make env-example`): every setting of the registry, with its comment."""

from __future__ import annotations

from pathlib import Path

from api.entrypoints.bootstrap import SPECS
from domain.settings import SettingSpec

GROUPS = {"outgoing": "Outgoing mail server", "incoming": "Incoming mail",
          "processing": "Processing", "team": "Addresses and the internal support team",
          "providers": "Mail providers (docs/providers.md)", "service": "Running the service"}


def render(specs: tuple[SettingSpec, ...] = SPECS) -> str:
    lines = ["# Email Connector settings: copy to .env and change what you need. Every setting is",
             "# an environment variable too; (runtime) ones can also be changed without a restart",
             "# through PATCH /api/v1/connector. Secrets are never shown back."]
    for group, title in GROUPS.items():
        lines += ["", f"# --- {title} ---"]
        for spec in (s for s in specs if s.group == group):
            flags = " ".join(f for f, on in (("(runtime)", spec.runtime), ("(secret)", spec.secret))
                             if on)
            default = "" if spec.default is None or spec.secret else _shown(spec.default)
            lines.append(f"# {spec.doc}" + (f" {flags}" if flags else ""))
            lines.append(f"#{spec.environment_variable}={default}")
    return "\n".join(lines) + "\n"


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        return str(value)
    text = str(value)
    # Several lines: in double quotes, where .env files read \n as a line break.
    return '"' + text.replace('"', '\\"').replace("\n", "\\n") + '"' if "\n" in text else text


if __name__ == "__main__":
    print(render(), end="")
