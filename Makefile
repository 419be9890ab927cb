# crmsync: `make demo` and `make test` are all a newcomer needs. Every target creates .venv on first use.
# `make test` is the inner loop; `make test-slow` (the long tests, marked `slow`) and `make ui-test` (the
# browser test) complete the suite, and .ci/run runs all three.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export DAGSTER_HOME := $(abspath dagster_home)

.PHONY: demo test test-slow test-property lint format bench sandbox clean ui ui-test soak

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "crmsync needs Python 3.11 (set PYTHON=python3.11)")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/crmsync demo

test: $(STAMP) lint
	$(BIN)/pytest -n 2 --dist loadfile

# exactly the tests marked `slow` (-m slow replaces the `not slow` of pyproject's addopts)
test-slow: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile -m slow

# the fixpoint property with 300 generated scenarios per test (make test-slow runs 100 of each)
test-property: $(STAMP)
	CRMSYNC_FIXPOINT_EXAMPLES=300 $(BIN)/pytest -n 2 --dist loadfile -m slow tests/property

# ruff, then the import contracts of pyproject.toml (imports flow one way, no cycles, the sandbox apart)
lint: $(STAMP)
	$(BIN)/ruff check crmsync_pipeline tests bench setup.py
	$(BIN)/lint-imports --no-logo

format: $(STAMP)
	$(BIN)/ruff format crmsync_pipeline tests bench setup.py
	$(BIN)/ruff check --fix crmsync_pipeline tests bench setup.py

bench: $(STAMP)
	$(BIN)/python -m bench.run

# The chaos soak: edits, faults and SIGKILLs around 30 syncs, then an independent oracle (bench/results/soak.md).
SOAK_ARGS ?= --cycles 30 --edits 1000 --kills 3 --seed 7
soak: $(STAMP)
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

sandbox: $(STAMP)
	$(BIN)/crmsync sandbox --records 5000

# The Dagster UI on the sandbox CRMs (reuses a running `make sandbox`); Ctrl-C stops both.
ui: $(STAMP)
	$(BIN)/crmsync ui

# The browser test of the UI (Playwright driving Debian's chromium); refreshes docs/screenshots/.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ui-test: $(STAMP)
	test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	$(BIN)/pytest -m ui tests/ui

clean:
	rm -rf $(VENV) sandbox_data dagster_home/demo_sandbox dagster_home/ui bench/results .pytest_cache .ruff_cache \
		.import_linter_cache build dist
