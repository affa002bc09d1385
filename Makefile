# The two commands of the README: `make console` (the demo workspace) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test

# `make demo` runs examples/demo.swarm on a fresh demo.db, unattended.
.PHONY: console demo test test-sqlite test-postgres test-slow lint setup clean

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

# The suite in three steps (docs/testing.md), each on every core (pytest-xdist): everything but the slow tests on
# SQLite; again on PostgreSQL the tests that use a database (the others do not touch one); then the benchmarks' smoke
# tests and the production tests (servers in processes, crashes, replicas), which run whole servers of their own and
# so take two workers at most, on SQLite and then those of them that use a database on PostgreSQL. Workers steal
# tests from each other, so one long test does not leave a core idle at the end; the slowest ten are named.
PYTEST := $(BIN)/pytest --dist worksteal --durations=10 -n auto

test-sqlite: setup
	$(PYTEST) -m "not slow"

test-postgres: setup
	SWARM_TEST_DATABASE_URL=$(PG_URL) $(PYTEST) -m "database and not slow"

test-slow: setup
	$(PYTEST) --maxprocesses 2 -m slow
	SWARM_TEST_DATABASE_URL=$(PG_URL) $(PYTEST) --maxprocesses 2 -m "slow and database"

test: lint docs test-sqlite test-postgres test-slow

# `make docs` builds the docs site (mkdocs.yml, docs/) into site/, strictly: a broken link or anchor, or a page left
# out of the nav, fails it. It adds the `docs` extra to the venv when it is not there yet.
.PHONY: docs
docs: setup
	@$(BIN)/python -c "import material" 2>/dev/null || $(MAKE) --no-print-directory setup EXTRAS=$(EXTRAS),docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

clean:
	rm -rf $(VENV) swarm.db site .pytest_cache .mypy_cache .ruff_cache
