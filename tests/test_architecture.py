"""Dependencies point inward: domain/ imports only the standard library and itself; adapters
never import api; only Database.writing commits."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"domain", "__future__"}
    offenders = {path: sorted(names - allowed)
                 for path, names in imported_modules("domain").items() if names - allowed}
    assert offenders == {}


def test_adapters_never_import_the_http_layer() -> None:
    offenders = [path for path, names in imported_modules("adapters").items() if "api" in names]
    assert offenders == []


def test_only_the_unit_of_work_commits() -> None:
    committing = []
    for package in ("api", "adapters", "domain"):
        for path in (ROOT / package).rglob("*.py"):
            if ".commit()" in path.read_text():
                committing.append(str(path.relative_to(ROOT)))
    assert committing == ["adapters/persistence/db.py"]
