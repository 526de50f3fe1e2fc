# Two commands on a fresh clone: `make run` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.test-installed-stamp

.PHONY: run test test-postgres lint lock worker imap pop3 migrate openapi env-example bench clean

# What running needs, nothing more. A failed install leaves no .venv behind to be reused.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version.split()[0] + ": run make with PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV) || (rm -rf $(VENV); exit 1)
	$(BIN)/python -m pip install --quiet --upgrade pip || (rm -rf $(VENV); exit 1)
	$(BIN)/python -m pip install --quiet -e '.[postgres]' || (rm -rf $(VENV); exit 1)
	touch $(STAMP)

# The test tools on top (pytest, aiosmtpd, hypothesis, schemathesis).
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(TEST_STAMP)

run: $(STAMP)
	$(BIN)/uvicorn --factory api.entrypoints.web:create_app --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

worker: $(STAMP)
	$(BIN)/python -m api.entrypoints.worker

imap: $(STAMP)
	$(BIN)/python -m api.entrypoints.imap

pop3: $(STAMP)
	$(BIN)/python -m api.entrypoints.pop3

migrate: $(STAMP)
	$(BIN)/python -m api.entrypoints.migrate

test: $(TEST_STAMP)
	$(BIN)/python -m pytest

# ruff's rules and mypy's settings are in pyproject.toml; CI runs this before the suites.
lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# requirements.lock: the runtime dependencies (and the postgres extra) pinned with their hashes,
# what the Dockerfile installs; run after changing the dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --extra postgres --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

# The same suite on a real PostgreSQL server that the tests start themselves (initdb in a
# temp dir, a free loopback port; needs the server binaries, e.g. Debian's postgresql package).
test-postgres: $(TEST_STAMP)
	CONNECTOR_TEST_DATABASE=postgres $(BIN)/python -m pytest

openapi: $(STAMP)
	$(BIN)/python -m api.entrypoints.openapi > openapi/openapi.json

# .env.example lists every setting of the registry, each with its comment (a test checks it).
env-example: $(STAMP)
	$(BIN)/python -m api.entrypoints.env_example > .env.example

# About 15 minutes on a 2-core machine; `$(BIN)/python -m bench.run --quick` for a short run.
bench: $(TEST_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,bench]'
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var .pytest_cache
