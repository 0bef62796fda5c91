# Two commands: `make run` serves the registry with demo data on SQLite; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
COACHES ?= 400
export REGISTRY_DATABASE_URL ?= sqlite:///data/registry.db

.PHONY: setup run test test-sqlite test-postgres clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/registry migrate
	$(BIN)/registry demo --coaches $(COACHES)
	$(BIN)/registry serve --host $(HOST) --port $(PORT)

# The suite runs on SQLite; with CI=true (or REGISTRY_TEST_POSTGRES=1) it runs again on PostgreSQL.
# Static checks first (ruff; bandit at high severity), then the suite.
test: setup
	$(BIN)/ruff check registry tests bench
	$(BIN)/bandit -q -r registry -lll
	$(BIN)/python -m pytest -q
	@if [ "$$CI" = "true" ] || [ -n "$$REGISTRY_TEST_POSTGRES" ]; then \
		REGISTRY_TEST_DATABASE=postgresql $(BIN)/python -m pytest -q tests/functional; \
	fi

clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis
