# Two commands on a fresh clone: `make run` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test test-postgres worker imap pop3 migrate openapi bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

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

test: $(STAMP)
	$(BIN)/python -m pytest

# The same suite on a real PostgreSQL server that the tests start themselves (initdb in a
# temp dir, a free loopback port; needs the server binaries, e.g. Debian's postgresql package).
test-postgres: $(STAMP)
	CONNECTOR_TEST_DATABASE=postgres $(BIN)/python -m pytest

openapi: $(STAMP)
	$(BIN)/python -m api.entrypoints.openapi > openapi/openapi.json

# About 15 minutes on a 2-core machine; `$(BIN)/python -m bench.run --quick` for a short run.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,bench]'
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var .pytest_cache
