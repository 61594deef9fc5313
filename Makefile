# Serverless AS2: `make run` serves the app on http://127.0.0.1:8000, `make test` runs every test.
# Python comes from pyenv, which honours .python-version (3.12); PYTHON=... overrides it.
PYTHON ?= $(shell command -v pyenv >/dev/null 2>&1 && pyenv which python 2>/dev/null || command -v python3.12 || echo python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else "Serverless AS2 needs Python 3.12 (found " + sys.version.split()[0] + "); set PYTHON=/path/to/python3.12")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.app-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.app-installed

run: $(VENV)/.app-installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py bootstrap_demo
	scripts/serve

test: $(VENV)/.test-installed
	scripts/install-test-tools
	$(MAKE) lint
	scripts/run-tests

lint: $(VENV)/.test-installed
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

bench: $(VENV)/.test-installed
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/inbound.py
