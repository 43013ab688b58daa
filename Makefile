# Slagkracht — the two commands: `make run` (whole product, embedded) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test test-external lint format openapi bench clean vendor translations screenshots

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
## external server named by TEST_EXTERNAL_DATABASE_URL (CI names 127.0.0.1:5432): every test
## that needs PostgreSQL but not the broker (migrations, units of work, concurrency, roles, each
## service's API), plus the walking skeleton for outbox -> broker -> consumer on that server.
## The broker, portal and browser tests use the database no differently, so they run once.
test: install
	$(BIN)/pytest
	@if [ -n "$$TEST_EXTERNAL_DATABASE_URL" ]; then \
		echo "== database tests against the external server $$TEST_EXTERNAL_DATABASE_URL =="; \
		TEST_DATABASE_URL="$$TEST_EXTERNAL_DATABASE_URL" $(BIN)/pytest -q \
			-m "db and not slow and not broker" && \
		TEST_DATABASE_URL="$$TEST_EXTERNAL_DATABASE_URL" $(BIN)/pytest -q \
			tests/integration/test_walking_skeleton.py; \
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

## Refresh the portal's vendored CSS/JS (npm packages pinned in services/portal/vendoring.py).
vendor: install
	$(BIN)/python -m services.portal.vendoring

## Extract the portal's strings, update the nl and en catalogues, compile them (commit the .mo).
PORTAL_I18N := services/portal/translations
translations: install
	$(BIN)/pybabel extract -F services/portal/babel.cfg -k _l -k lazy_gettext --no-location \
		--omit-header -o $(PORTAL_I18N)/messages.pot .
	for lang in nl en; do \
		if [ -f $(PORTAL_I18N)/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --no-fuzzy-matching -i $(PORTAL_I18N)/messages.pot -d $(PORTAL_I18N) -l $$lang; \
		else $(BIN)/pybabel init -i $(PORTAL_I18N)/messages.pot -d $(PORTAL_I18N) -l $$lang; fi; \
	done
	$(BIN)/pybabel compile -d $(PORTAL_I18N)

bench: install
	$(BIN)/python bench/events.py

## PNGs of the main portal pages (Dutch) in docs/screenshots/: the Dutch browser journey
## (tests/portal/test_browser_journeys.py) saves each page it passes. Needs Debian's chromium.
## Its own temporary folder, so a `make test` running at the same time cannot clear it.
screenshots: install
	mkdir -p var
	PORTAL_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest -q -p no:cacheprovider \
		--basetemp=var/screenshots-run \
		"tests/portal/test_browser_journeys.py::test_a_request_from_search_to_completion_in_the_browser[nl]" \
		tests/portal/test_national_browser.py tests/portal/test_inbox_browser.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
