# The documented entry points. `make demo` and `make test` build .venv from requirements.lock
# on first use, so a fresh clone needs nothing but Python 3.11 and the package registries.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench lock clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/promocast demo --out demo_out

# The browser tests drive Debian's chromium (and need a CJK font to draw the Chinese pages).
CHROMIUM := /usr/bin/chromium
BROWSER_PACKAGES := chromium fonts-wqy-zenhei
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM):
	@echo "installing $(BROWSER_PACKAGES) for the browser tests"
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null

test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	PROMOCAST_BROWSER_REQUIRED=1 $(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py

# The optional [deep] extra (LSTM, NHITS: CPU torch + neuralforecast, about 1.1 GB) on top of the
# core venv; installed with the core pins so the resolver never moves a core package.
DEEP_STAMP := $(VENV)/.deep-installed
.PHONY: deep test-deep

$(DEEP_STAMP): $(STAMP) requirements-deep.lock
	$(BIN)/python -m pip install -q -r requirements.lock -r requirements-deep.lock
	@touch $(DEEP_STAMP)

deep: $(DEEP_STAMP)

test-deep: $(DEEP_STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m deep

lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install -q -r requirements.in
	.lockenv/bin/pip freeze --exclude-editable > requirements.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) demo_out promocast.duckdb
