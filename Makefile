# ebtrail: every target sets up what it needs (Python venv, pinned Node 22 and CDK CLI) on first use
# and skips the set-up when nothing changed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
CONFIG ?= config/default.toml
# Pinned Node 22 and the CDK CLI first on PATH, then the venv (cdk runs `python3 app.py` from cdk.json).
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export CDK_DISABLE_VERSION_CHECK := true
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: setup synth test lint diff deploy verify bench lock clean
setup: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## synth: synthesize CONFIG (default config/default.toml) into cdk.out and print a summary
synth: setup
	rm -rf cdk.out
	cdk synth --quiet -c config=$(CONFIG)
	$(VENV)/bin/python -m stacks.summary cdk.out

## test: the whole suite (snapshots, assertions, config validation, verifier, real cdk synth)
test: setup
	$(VENV)/bin/python -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

diff: setup
	cdk diff --all -c config=$(CONFIG)

deploy: setup
	cdk deploy --all -c config=$(CONFIG) --require-approval broadening

verify: setup
	@test -n "$(TRAIL)" || { echo "usage: make verify TRAIL=<trail name or ARN> [ARGS=...]" >&2; exit 2; }
	$(VENV)/bin/python -m ebtrail.verifier verify --trail "$(TRAIL)" $(ARGS)

bench: setup
	$(VENV)/bin/python bench/lifecycle_cost.py
	$(VENV)/bin/python bench/synth_bench.py
	$(VENV)/bin/python bench/scale_bench.py

## lock: re-resolve constraints.txt after editing requirements*.txt
lock:
	rm -rf /tmp/ebtrail-lock && $(PYTHON) -m venv /tmp/ebtrail-lock
	/tmp/ebtrail-lock/bin/pip install --quiet -r requirements-dev.txt
	{ echo '# Full pin of every Python package, transitive ones included (regenerate with `make lock`).'; \
	  /tmp/ebtrail-lock/bin/pip freeze --exclude pip --exclude setuptools --exclude wheel; } > constraints.txt

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache
