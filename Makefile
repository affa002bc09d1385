# The two commands of the README: `make console` (the demo workspace) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test

# `make demo` runs examples/demo.swarm on a fresh demo.db, unattended.
.PHONY: console demo test test-sqlite test-postgres lint setup clean

# The extras installed: `make test EXTRAS=dev,semantic` adds hybrid search and its tests (CI does, .ci/run).
EXTRAS ?= dev
comma := ,
INSTALLED := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

setup: $(INSTALLED)

console: setup
	$(BIN)/swarm console --roster examples/roster.yaml

demo: setup
	rm -f demo.db
	SWARM_DATABASE_URL=sqlite:///demo.db $(BIN)/swarm console --roster examples/roster.yaml --script examples/demo.swarm

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test-sqlite: setup
	$(BIN)/pytest

test-postgres: setup
	SWARM_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest

test: lint test-sqlite test-postgres

# `make docs` builds the docs site (mkdocs.yml, docs/) into site/, strictly: a broken link or anchor, or a page left
# out of the nav, fails it (CI runs it too). The `docs` extra is installed on its own stamp, beside the others.
.PHONY: docs
docs:
	$(MAKE) --no-print-directory setup EXTRAS=docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) swarm.db .pytest_cache .mypy_cache .ruff_cache
