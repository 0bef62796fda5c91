# Two commands: `make run` serves the registry with demo data on SQLite; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
COACHES ?= 400
export REGISTRY_DATABASE_URL ?= sqlite:///data/registry.db

CHROMIUM := /usr/bin/chromium
PG_DUMP := /usr/bin/pg_dump
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup run test messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# The browser tests drive Debian's Chromium (Playwright cannot download a browser here).
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

# `registry backup`/`restore` on PostgreSQL run pg_dump and pg_restore (the PostgreSQL test pass uses them).
$(PG_DUMP):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql-client

run: setup
	$(BIN)/registry migrate
	$(BIN)/registry demo --coaches $(COACHES)
	$(BIN)/registry serve --host $(HOST) --port $(PORT)

# The suite runs on SQLite; with CI=true (or REGISTRY_TEST_POSTGRES=1) it runs again on PostgreSQL (functional
# and browser tests), at the same time: the tests mostly wait (servers, browsers, fsync), so two passes of two
# workers each (pytest-xdist, one test file per worker at a time) keep both cores busy.
# Static checks first (ruff; pyright in basic mode; bandit at medium severity, each exception justified
# where it is), then the suite. Pyright runs on the machine's Node (its wheel carries pyright itself); the
# environment variable skips its check of PyPI for a newer release on every run.
PYTEST := $(BIN)/python -m pytest -q --dist loadfile
test: setup $(CHROMIUM) $(PG_DUMP)
	$(BIN)/ruff check registry tests bench
	PYRIGHT_PYTHON_IGNORE_WARNINGS=1 $(BIN)/pyright
	$(BIN)/bandit -q -r registry -ll
	@if [ "$$CI" = "true" ] || [ -n "$$REGISTRY_TEST_POSTGRES" ]; then \
		mkdir -p test-artifacts; \
		REGISTRY_TEST_DATABASE=postgresql $(PYTEST) -n 2 tests/functional tests/browser > test-artifacts/postgresql-pass.log 2>&1 & \
		postgres_pid=$$!; \
		echo "SQLite pass (the PostgreSQL pass runs alongside; its log: test-artifacts/postgresql-pass.log)"; \
		$(PYTEST) -n 2; sqlite=$$?; \
		wait $$postgres_pid; postgres=$$?; \
		echo "PostgreSQL pass:"; \
		if [ $$postgres -eq 0 ]; then tail -n 3 test-artifacts/postgresql-pass.log; else cat test-artifacts/postgresql-pass.log; fi; \
		[ $$sqlite -eq 0 ] && [ $$postgres -eq 0 ]; \
	else \
		$(PYTEST) -n 4; \
	fi

# After changing a message on a page: extract, update the Dutch catalog, then translate what is empty.
messages: setup
	$(BIN)/pybabel extract -F registry/translations/babel.cfg -k N_ --no-location --sort-output -o registry/translations/messages.pot .
	$(BIN)/pybabel update -i registry/translations/messages.pot -d registry/translations -l nl --no-fuzzy-matching --ignore-obsolete -w 120

clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis
