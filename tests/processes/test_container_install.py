"""The Dockerfile's own commands, run in a fresh venv instead of an image (images cannot be
built here): its COPY lines make the tree, its `pip install` installs it, its CMD serves and
its HEALTHCHECK passes. No test tool comes with the install."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import free_port
from tests.container_files import (
    ROOT,
    dockerfile,
    environment,
    healthcheck_command,
    only,
    pip_commands,
)
from tests.harness import wait_ready

COPY_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def stage(app: Path) -> None:
    """The image's WORKDIR after its COPY lines (sources relative to the build context)."""
    for instruction in only(dockerfile(), "COPY"):
        *sources, destination = instruction.exec_form()
        for source in sources:
            target = app / destination if destination not in ("./", ".") else app
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, target, ignore=COPY_IGNORED, dirs_exist_ok=True)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / source, target / Path(source).name)


def test_the_dockerfile_installs_runtime_dependencies_only_and_its_cmd_serves(tmp_path: Path) -> None:
    instructions = dockerfile()
    app, venv = tmp_path / "app", tmp_path / "venv"
    stage(app)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bin_dir = venv / "bin"
    image_env = environment(instructions)
    # The pip cache (and the machine's wheel folders) is reused here; the image keeps none.
    pip_env = {**os.environ, **{k: v for k, v in image_env.items() if k != "PIP_NO_CACHE_DIR"}}
    for arguments in pip_commands(instructions):  # the lock's, hash-checked, then the project
        subprocess.run([str(bin_dir / "python"), "-m", "pip", *arguments], cwd=app, env=pip_env,
                       check=True, timeout=900, stdout=subprocess.DEVNULL)
    # neither the test tools nor what only uvicorn's "standard" extra would bring
    for unused in ("pytest", "hypothesis", "aiosmtpd", "schemathesis", "watchfiles", "websockets"):
        found = subprocess.run([str(bin_dir / "python"), "-c", f"import {unused}"],
                               capture_output=True)
        assert found.returncode != 0, f"{unused} is installed in the image"
    for fast in ("uvloop", "httptools"):  # what uvicorn picks when they are there
        subprocess.run([str(bin_dir / "python"), "-c", f"import {fast}"], check=True)

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_", "PYTHON"))}
    env.update(image_env)
    env.update({"PATH": f"{bin_dir}:{env.get('PATH', '')}", "UVICORN_HOST": "127.0.0.1",
                "UVICORN_PORT": str(port), "CONNECTOR_DATA_DIR": str(tmp_path / "data"),
                "CONNECTOR_DATABASE_URL": f"sqlite:///{tmp_path}/data/connector.db"})
    (cmd,) = only(instructions, "CMD")
    log = (tmp_path / "web.log").open("wb")
    server = subprocess.Popen(cmd.exec_form(), cwd=app, env=env, stdout=log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_ready(port)
        check = subprocess.run(healthcheck_command(instructions), cwd=app, env=env,
                               capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/readyz")
        assert connection.getresponse().status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    # a clean shutdown: uvicorn ends by the signal it stopped for (-15) or with 0
    assert server.returncode in (0, -signal.SIGTERM), (tmp_path / "web.log").read_text()[-2000:]
    assert "Application shutdown complete" in (tmp_path / "web.log").read_text()
    assert (tmp_path / "data" / "api-key").exists()  # generated on first start, in the volume
