# trendlake: `make demo` and `make test` set everything up themselves on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1

.PHONY: all venv demo test test-unit lint format bench eval dagster validate services-up services-down clean

all: venv

venv: $(STAMP)

# Re-runnable: rebuilt only when the pins change. requirements.lock pins every package.
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (trendlake needs Python 3.11)" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[orchestration,dev]'
	@touch $@

demo: $(STAMP)
	$(BIN)/trendlake demo

test: $(STAMP)
	scripts/run-tests

test-unit: $(STAMP)
	$(BIN)/pytest -q tests/unit tests/dagster

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

validate: $(STAMP)
	$(BIN)/dagster definitions validate -w workspace.yaml

dagster: $(STAMP)
	mkdir -p .dagster && DAGSTER_HOME=$(CURDIR)/.dagster $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

eval: $(STAMP)
	$(BIN)/python benchmarks/eval_detection.py

services-up: $(STAMP)
	VENV=$(VENV) scripts/services/services up

services-down:
	VENV=$(VENV) scripts/services/services down

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache lake demo-data .dagster
