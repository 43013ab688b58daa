# Slagkracht — the two commands: `make run` (whole product, embedded) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test test-external lint format openapi bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run every service, worker, database and broker with demo data; Ctrl-C stops it all.
run: install
	$(BIN)/slagkracht run

## The whole suite on the embedded runtime; then the database tests once more against the
## external server named by TEST_EXTERNAL_DATABASE_URL (CI names 127.0.0.1:5432).
test: install
	$(BIN)/pytest
	@if [ -n "$$TEST_EXTERNAL_DATABASE_URL" ]; then \
		echo "== database tests against the external server $$TEST_EXTERNAL_DATABASE_URL =="; \
		TEST_DATABASE_URL="$$TEST_EXTERNAL_DATABASE_URL" $(BIN)/pytest -m "db and not slow" -q; \
	fi

lint: install
	$(BIN)/ruff check shared services tests bench
	$(BIN)/ruff format --check shared services tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format shared services tests bench
	$(BIN)/ruff check --fix shared services tests bench

## Regenerate contracts/openapi/*.json from the code (a test fails when they drift).
openapi: install
	$(BIN)/slagkracht export-openapi

bench: install
	$(BIN)/python bench/events.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
