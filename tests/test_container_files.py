"""The container files read as data: a slim Python image running as a non-root user with only
the runtime dependencies and a health check; compose with PostgreSQL (health check, volume),
web, worker and the pollers. Their commands are run for real in
tests/processes/test_container_install.py."""

from __future__ import annotations

import re
import tomllib

from api.entrypoints.bootstrap import SPECS
from tests.container_files import (
    ROOT,
    compose,
    dockerfile,
    environment,
    healthcheck_command,
    only,
    pip_commands,
)

SETTINGS = {f"CONNECTOR_{spec.name.upper()}" for spec in SPECS}
CONNECTOR_SERVICES = ("migrate", "web", "worker", "imap", "pop3")


def test_the_image_is_python_3_12_slim() -> None:
    assert [i.arguments for i in only(dockerfile(), "FROM")] == ["python:3.12-slim"]


def test_the_image_runs_as_a_non_root_user_after_everything_is_installed() -> None:
    instructions = dockerfile()
    users = [n for n, i in enumerate(instructions) if i.keyword == "USER"]
    assert users, "no USER: the container would run as root"
    user = instructions[users[-1]].arguments
    assert user not in ("root", "0") and not user.startswith(("0:", "root:"))
    assert all(n < users[-1] for n, i in enumerate(instructions) if i.keyword == "RUN")


def test_the_image_installs_the_locked_runtime_dependencies_then_the_project() -> None:
    commands = pip_commands(dockerfile())
    assert commands == [["install", "--require-hashes", "-r", "requirements.lock"],
                        ["install", "--no-deps", "."], ["check"]]


def test_the_lock_pins_every_runtime_dependency_with_hashes_and_no_test_tool() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = {_name(d) for d in project["dependencies"] + extras["postgres"]}
    entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements.lock").read_text())
    pinned = {}
    for entry in entries[1:]:  # the first is pip-compile's comment header
        name, _, rest = entry.partition("==")
        pinned[_name(name)] = rest
        assert re.match(r"[0-9][^ ;]*", rest), entry  # an exact version
        assert "--hash=sha256:" in rest, f"{name} has no hash"
    assert wanted <= set(pinned), f"not in the lock (run make lock): {wanted - set(pinned)}"
    assert not {_name(d) for d in extras["dev"]} & set(pinned)


def _name(requirement: str) -> str:
    found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert found, requirement
    return re.sub(r"[-_.]+", "-", found[0]).lower()


def test_the_image_copies_every_package_the_project_installs() -> None:
    copied = set()
    for instruction in only(dockerfile(), "COPY"):
        *sources, _ = instruction.exec_form()
        copied.update(sources)
        assert all((ROOT / s).exists() for s in sources), sources
    assert {"pyproject.toml", "README.md", "domain", "adapters", "api"} <= copied


def test_the_health_check_asks_the_web_process_and_the_cmd_starts_it() -> None:
    instructions = dockerfile()
    assert re.search(r"/(healthz|readyz)\b", " ".join(healthcheck_command(instructions)))
    (cmd,) = only(instructions, "CMD")
    assert cmd.exec_form()[:3] == ["uvicorn", "--factory", "api.entrypoints.web:create_app"]
    assert "8000" in [i.arguments for i in only(instructions, "EXPOSE")]
    assert environment(instructions)["UVICORN_PORT"] == "8000"


def test_the_images_settings_are_declared_ones() -> None:
    names = {n for n in environment(dockerfile()) if n.startswith("CONNECTOR_")}
    assert names and names <= SETTINGS
    assert environment(dockerfile())["CONNECTOR_DATA_DIR"] == "/data"


def test_postgres_has_a_health_check_and_keeps_its_data_in_a_volume() -> None:
    files = compose()
    postgres = files["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume, _, mount = postgres["volumes"][0].partition(":")
    assert mount == "/var/lib/postgresql/data" and volume in files["volumes"]


def test_every_connector_service_waits_for_a_healthy_database_and_reads_env() -> None:
    services = compose()["services"]
    for name in CONNECTOR_SERVICES:
        service = services[name]
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
        assert ".env" in service["env_file"], name
        url = service["environment"]["CONNECTOR_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url, name
        assert {n for n in service["environment"] if n.startswith("CONNECTOR_")} <= SETTINGS
        assert "/data" in [v.partition(":")[2] for v in service["volumes"]], name


def test_migrations_run_once_before_the_processes_start() -> None:
    services = compose()["services"]
    assert services["migrate"]["command"] == ["python", "-m", "api.entrypoints.migrate"]
    for name in ("web", "worker", "imap", "pop3"):
        assert services[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"
        assert services[name]["environment"]["CONNECTOR_MIGRATE_ON_START"] == "false"


def test_web_publishes_its_port_on_loopback_only_and_is_health_checked() -> None:
    web = compose()["services"]["web"]
    assert web["ports"] == ["127.0.0.1:8000:8000"]  # TLS is the reverse proxy's (README)
    assert re.search(r"/(healthz|readyz)\b", " ".join(web["healthcheck"]["test"]))
    assert web["environment"]["CONNECTOR_INLINE_WORKER"] == "false"


def test_the_worker_and_pollers_run_existing_modules_and_the_pollers_are_opt_in() -> None:
    services = compose()["services"]
    for name in ("worker", "imap", "pop3"):
        command = services[name]["command"]
        assert command[:2] == ["python", "-m"]
        assert (ROOT / (command[2].replace(".", "/") + ".py")).is_file(), command
        assert services[name]["healthcheck"] == {"disable": True}  # no HTTP port to ask
    assert services["imap"]["profiles"] == ["imap"] and services["pop3"]["profiles"] == ["pop3"]
    assert "profiles" not in services["worker"]
