# Serverless AS2: `make run` serves the app on http://127.0.0.1:8000, `make test` runs every test.
# Python comes from pyenv, which honours .python-version (3.12); PYTHON=... overrides it.
PYTHON ?= $(shell command -v pyenv >/dev/null 2>&1 && pyenv which python 2>/dev/null || command -v python3.12 || echo python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench package

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

# mypy: as2/, certificates/keystore.py and certificates/pbe.py are strict; services and
# selectors refuse untyped definitions (pyproject.toml says which module gets which).
lint: $(VENV)/.test-installed
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy as2 partnerships/validators.py certificates/keystore.py certificates/pbe.py \
		certificates/services certificates/selectors.py partnerships/services.py partnerships/selectors.py

bench: $(VENV)/.test-installed
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/inbound.py
	$(BIN)/python bench/keys.py

# The Lambda zip, built offline by `zappa package` from a runtime-only environment: the
# dependencies of pyproject.toml and Zappa (its handler runs on Lambda), no test packages.
# zappa_settings.json excludes boto3/botocore/s3transfer (Lambda has them) and the non-code
# folders. Static files are collected into the zip (staticfiles/); the bytecode is recompiled so
# that Lambda can use it (see scripts/lambda-zip-compile).
LAMBDA_STAGE ?= production
LAMBDA_VENV := build/lambda-venv
LAMBDA_ZIP := dist/serverless-as2-$(LAMBDA_STAGE).zip

$(LAMBDA_VENV)/.installed: pyproject.toml | $(BIN)/python
	rm -rf $(LAMBDA_VENV)
	$(PYTHON) -m venv $(LAMBDA_VENV)
	$(BIN)/python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print("\n".join(p["dependencies"] + p["optional-dependencies"]["deploy"]))' > build/lambda-requirements.txt
	$(LAMBDA_VENV)/bin/pip install --quiet --upgrade pip
	$(LAMBDA_VENV)/bin/pip install --quiet -r build/lambda-requirements.txt
	@touch $@

package: $(LAMBDA_VENV)/.installed
	mkdir -p dist
	rm -rf $(LAMBDA_ZIP) staticfiles
	SAS2_DATA_DIR=build/collectstatic SAS2_STATIC_ROOT=staticfiles \
		SAS2_STATICFILES_BACKEND=whitenoise.storage.CompressedManifestStaticFilesStorage \
		$(LAMBDA_VENV)/bin/python manage.py collectstatic --noinput --verbosity 0
	@# --json also skips Zappa's version check on pypi.org: packaging needs no network.
	VIRTUAL_ENV=$(abspath $(LAMBDA_VENV)) PATH=$(abspath $(LAMBDA_VENV))/bin:$$PATH \
		$(LAMBDA_VENV)/bin/zappa package $(LAMBDA_STAGE) --output $(LAMBDA_ZIP) --disable_progress --json
	$(LAMBDA_VENV)/bin/python scripts/lambda-zip-compile $(LAMBDA_ZIP)
