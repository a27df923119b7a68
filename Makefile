# The two commands a newcomer needs: `make run` and `make test`. Both set themselves up.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
# make run installs only what running needs; make test adds the test and deploy tools.
RUN_STAMP := $(VENV)/.run-stamp
STAMP     := $(VENV)/.installed-stamp
# checkov lives in its own virtualenv: it pins boto3 and others that clash with requirements-dev.txt.
LINT_VENV  := .venv-lint
LINT_STAMP := $(LINT_VENV)/.installed-stamp
# No network at scan time: no Prisma Cloud guidelines download, no PyPI version check.
CHECKOV := CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(LINT_VENV)/bin/checkov --file template.yaml \
	--framework cloudformation --skip-download --compact --quiet
# Tests run on one process per CPU, at most TEST_WORKERS (pytest-xdist); --dist loadgroup, from
# pyproject.toml, keeps each module, and all the end-to-end tests, on one of them. TEST_WORKERS=0: one process.
TEST_WORKERS ?= 4
PYTEST := $(PY) -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n logical --maxprocesses $(TEST_WORKERS))
# The Chromium the browser tests (tests/browser) drive, found as tests/browser/console.py finds it.
CHROMIUM_FOUND = $(shell if [ -n "$$CHROMIUM" ]; then [ -f "$$CHROMIUM" ] && echo "$$CHROMIUM"; \
	elif [ -f /usr/bin/chromium ]; then echo /usr/bin/chromium; else command -v chromium; fi)
# The newest Python 3.11+ on PATH (Lambda runs 3.13; the code runs on 3.11 and later).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)

.PHONY: help run-setup setup lint-setup run test test-fast lint openapi build deploy clean bench screenshots

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(RUN_STAMP): pyproject.toml requirements-run.txt layers/shared/requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-run.txt -e .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run-setup: $(RUN_STAMP) ## create .venv with what make run needs

setup: $(STAMP) ## add what make test, build, deploy and bench need to .venv

$(LINT_STAMP): requirements-lint.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(LINT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-lint.txt
	touch $(LINT_STAMP)

lint-setup: $(LINT_STAMP) ## create .venv-lint with checkov (make lint and make test need it)

run: run-setup ## serve the whole system locally (moto on :5000, the API on :3000)
	$(PY) -m local_runtime

test: setup lint-setup ## cfn-lint, checkov, unit, handler, sam build, end-to-end and browser tests
	@$(if $(CHROMIUM_FOUND),echo "Browser tests: Chromium at $(CHROMIUM_FOUND)",echo "!!! Browser tests will be SKIPPED: no Chromium (apt-get install chromium chromium-driver) !!!")
	$(PYTEST)

test-fast: setup ## every test but sam build, the end-to-end and the browser suites
	$(PYTEST) -m "not slow and not e2e"

screenshots: setup ## run the browser tests and keep their screenshots of the console in docs/console/
	CONSOLE_SCREENSHOTS=1 $(PY) -m pytest -p no:cacheprovider -n0 tests/browser

bench: setup ## benchmarks against moto, side by side with their floors; writes docs/benchmarks.md (about 10 min)
	$(PY) -m bench

lint: setup lint-setup ## cfn-lint and checkov the template (checkov's skips: in template.yaml, with reasons)
	$(VENV)/bin/cfn-lint template.yaml
	$(CHECKOV)

openapi: run-setup ## regenerate openapi.json from the code (a test fails when it is out of date)
	POWERTOOLS_TRACE_DISABLED=true $(PY) -m local_runtime.openapi

build: setup ## sam build (no Docker needed: wheels are fetched for Lambda's platform)
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/sam build

deploy: build ## sam deploy --guided (first time), then sam deploy
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/sam deploy --guided

clean: ## remove the virtual environment and build output
	rm -rf $(VENV) $(LINT_VENV) .aws-sam .pytest_cache *.egg-info
