"""Dependencies point inward, and this file is where that is enforced.

domain/ (the rules, the ports, the values between them) imports only the standard library.
adapters/ implement the ports; an adapter package never imports another one (they share the
values of domain/messages.py) and never the api/ layers. api/application/ (the use cases)
imports neither adapters, nor HTTP, nor SQL. api/http/ (routes, schemas, the error table)
imports no adapters and no SQL: it calls the use cases. api/entrypoints/ are the only
composition roots, and Database.writing is the only place that commits.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SQL = {"sqlalchemy", "sqlmodel", "psycopg", "alembic"}
HTTP = {"fastapi", "starlette", "uvicorn"}


def imports(package: str) -> dict[str, set[str]]:
    """Each module's imported module names (full dotted names), by path."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(package: str, forbidden: callable) -> dict[str, list[str]]:  # type: ignore[valid-type]
    result = {}
    for path, names in imports(package).items():
        bad = sorted(n for n in names if forbidden(path, n))
        if bad:
            result[path] = bad
    return result


def top(name: str) -> str:
    return name.split(".")[0]


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"domain", "__future__"}
    assert offenders("domain", lambda _, n: top(n) not in allowed) == {}


def test_adapters_never_import_the_api_layers() -> None:
    assert offenders("adapters", lambda _, n: top(n) == "api") == {}


def test_an_adapter_package_never_imports_another_adapter_package() -> None:
    def crosses(path: str, name: str) -> bool:
        parts = path.split("/")
        own = parts[1] if len(parts) > 2 else parts[1].removesuffix(".py")
        return name.startswith("adapters.") and name.split(".")[1] != own
    assert offenders("adapters", crosses) == {}


def test_the_application_layer_imports_no_adapter_no_http_and_no_sql() -> None:
    def outward(_: str, name: str) -> bool:
        return (top(name) in SQL | HTTP | {"adapters", "httpx"}
                or name.startswith(("api.http", "api.entrypoints")))
    assert offenders("api/application", outward) == {}


def test_routes_import_no_adapter_and_no_sql() -> None:
    def outward(_: str, name: str) -> bool:
        return top(name) in SQL | {"adapters"} or name.startswith("api.entrypoints")
    assert offenders("api/http", outward) == {}


def test_only_the_entrypoints_compose_adapters_and_services() -> None:
    composing = {path for path, names in imports("api").items()
                 if any(top(n) == "adapters" for n in names)}
    assert composing and all(path.startswith("api/entrypoints/") for path in composing)


def test_only_the_unit_of_work_commits() -> None:
    committing = []
    for package in ("api", "adapters", "domain"):
        for path in (ROOT / package).rglob("*.py"):
            if ".commit()" in path.read_text():
                committing.append(str(path.relative_to(ROOT)))
    assert committing == ["adapters/persistence/db.py"]


def test_modules_stay_small() -> None:
    large = {str(p.relative_to(ROOT)): n for package in ("api", "adapters", "domain")
             for p in (ROOT / package).rglob("*.py")
             if "migrations" not in p.parts and (n := len(p.read_text().splitlines())) > 330}
    assert large == {}
