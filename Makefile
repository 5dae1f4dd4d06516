# trendlake: `make demo` and `make test` set everything up themselves on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NATIVE_STAMP := $(VENV)/.native
NATIVE_SOURCES := native/pyproject.toml native/Cargo.toml native/Cargo.lock $(wildcard native/src/*.rs)
# rustup installs cargo here; a non-login shell (CI) may not have it on PATH yet.
export PATH := $(HOME)/.cargo/bin:$(PATH)
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1

.PHONY: all venv demo test test-unit lint format bench eval dagster validate services-up services-down clean

all: venv

venv: $(STAMP) $(NATIVE_STAMP)

# Re-runnable: rebuilt only when the pins change. requirements.lock pins every package.
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (trendlake needs Python 3.11)" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[orchestration,dev]'
	@touch $@

# The native module (Rust, in native/: the tokenizer and the grouping kernels of the
# windows and baselines; crates pinned by Cargo.lock, maturin by native/pyproject.toml).
# Without cargo, keyword extraction stays in pure Python and the grouping in Polars: the
# same output but for Lao, Khmer and Burmese words (see text.py rule 6), several times
# slower, and the test suite refuses that under CI.
$(NATIVE_STAMP): $(STAMP) $(NATIVE_SOURCES)
	@if command -v cargo >/dev/null; then \
	  echo "building the native module (native/, Rust)"; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall ./native && touch $@; \
	else \
	  echo "warning: cargo not found: the native module is not built; keywords are extracted in pure Python and grouped in Polars" >&2; \
	fi

demo: venv
	$(BIN)/trendlake demo

test: venv
	scripts/run-tests

test-unit: venv
	$(BIN)/pytest -q tests/unit tests/dagster

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

validate: venv
	$(BIN)/dagster definitions validate -w workspace.yaml

dagster: venv
	mkdir -p .dagster && DAGSTER_HOME=$(CURDIR)/.dagster $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: venv
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

eval: venv
	$(BIN)/python benchmarks/eval_detection.py
	$(BIN)/python benchmarks/eval_cold_start.py

services-up: venv
	VENV=$(VENV) scripts/services/services up

services-down:
	VENV=$(VENV) scripts/services/services down

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache lake demo-data .dagster native/target
