# ebtrail: every target sets up what it needs (Python venv, pinned Node 22 and CDK CLI) on first use
# and skips the set-up when nothing changed.
# Every variable a user may set is passed to the shell through the environment and quoted there ("$$CONFIG"),
# so a value with spaces or shell characters (CONFIG="my config.toml") is one argument.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
CONFIG ?= config/default.toml
# `make deploy APPROVAL=never` deploys without a terminal (CI); the default asks before broadening permissions.
APPROVAL ?= broadening
# `make deploy ALLOW_REPLACE=record,notify` deploys replacements of what records or notifies (ebtrail-verify changes).
ALLOW_REPLACE ?=
export CONFIG TRAIL PYTHON APPROVAL ALLOW_REPLACE VERBOSE
.DEFAULT_GOAL := help
# Pinned Node 22 and the CDK CLI first on PATH, then the venv (cdk runs `python3 app.py` from cdk.json).
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export CDK_DISABLE_VERSION_CHECK := true
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: help setup synth test e2e lint docs diff deploy redeploy verify bench lock clean

## help: list the targets (also what a bare `make` does)
help:
	@echo "ebtrail: make TARGET [CONFIG=config/<file>.toml] [TRAIL=<name or ARN>] [ARGS=...]"
	@awk '/^## [a-z0-9-]+: /{ line = substr($$0, 4); i = index(line, ": "); \
	  printf "  %-8s %s\n", substr(line, 1, i - 1), substr(line, i + 2) }' "$(firstword $(MAKEFILE_LIST))"

## setup: create .venv and node_modules from the pins (skipped when no pin changed)
setup: $(PY_STAMP) $(NODE_STAMP)

# The pins, then ebtrail itself (editable, --no-deps: its dependencies are the pins) so that `ebtrail-verify` is on
# the venv's PATH.
$(PY_STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x "$(VENV)/bin/python" || "$$PYTHON" -m venv "$(VENV)"
	"$(VENV)/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	"$(VENV)/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch "$@"

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch "$@"

## synth: synthesize CONFIG (default config/default.toml) into cdk.out and print a summary (VERBOSE=1: every finding)
# Into a temporary folder first: cdk.out is replaced only when the synthesis succeeded, so a failing config
# leaves the last good cdk.out in place. VERBOSE=1 lists every acknowledged cdk-nag finding with its reason (always
# in cdk.out/acknowledged-findings.txt).
synth: setup
	@tmp="$$(mktemp -d "$(CURDIR)/.cdk.out.XXXXXX")" && trap 'rm -rf "$$tmp"' EXIT && \
	cdk synth --quiet -o "$$tmp" -c "config=$$CONFIG" && \
	rm -rf cdk.out && mv "$$tmp" cdk.out && \
	"$(VENV)/bin/python" -m stacks.summary cdk.out $${VERBOSE:+--verbose}

## test: the whole suite (snapshots, assertions, config validation, verifier, real cdk synth)
# On 2 workers (pytest-xdist): the suite is CPU-bound and mostly single-threaded. --dist loadgroup keeps the tests
# of the shared synthesized configs on one worker (tests/conftest.py), so no config is synthesized twice.
test: setup
	"$(VENV)/bin/python" -m pytest -n 2 --dist loadgroup

## e2e: every config/*.toml deployed to moto_server with the pinned CLI and verified; day two rehearsed on two
e2e: setup
	"$(VENV)/bin/python" tests/e2e/run_e2e.py

## lint: ruff check, ruff format --check, mypy strict (code and tests; the example app on its own)
lint: setup
	"$(VENV)/bin/ruff" check .
	"$(VENV)/bin/ruff" format --check .
	"$(VENV)/bin/mypy"
	"$(VENV)/bin/mypy" examples/own-app/app.py

## docs: check the generated pages are current and build the site into site/ (mkdocs --strict, offline)
# The check writes nothing (`python -m tools.docs_gen` rewrites the generated parts): CI must see a stale page fail,
# not have it fixed behind its back.
docs: setup
	"$(VENV)/bin/python" -m tools.docs_gen --check
	NO_MKDOCS_2_WARNING=1 "$(VENV)/bin/mkdocs" build --strict --quiet --site-dir site

## diff: cdk diff of every stack of CONFIG against the deployed ones (needs credentials)
diff: setup
	cdk diff --all -c "config=$$CONFIG"

## deploy: cdk deploy every stack of CONFIG, refused if it replaces what records or notifies unless ALLOW_REPLACE names it
# The assembly `ebtrail-verify changes` checks against the deployed templates (CloudFormation GetTemplate) is the one
# deployed (`cdk deploy --app <assembly>`). APPROVAL=never for CI; the default asks before broadening permissions.
deploy: setup
	@tmp="$$(mktemp -d "$(CURDIR)/.cdk.out.XXXXXX")" && trap 'rm -rf "$$tmp"' EXIT && \
	cdk synth --quiet -o "$$tmp" -c "config=$$CONFIG" && \
	{ "$(VENV)/bin/python" -m ebtrail.verifier changes --from-deployed --to "$$tmp" --allow "$$ALLOW_REPLACE" || \
	  { echo "make deploy: refused by ebtrail-verify changes (above); README.md, \"Changing a deployment\"" >&2; \
	    exit 1; }; } && \
	cdk deploy --app "$$tmp" --all --require-approval "$$APPROVAL"

## redeploy: deploy CONFIG again after `cdk destroy`: import the kept buckets, keys and log groups, then deploy
# ebtrail-verify import-map writes one `cdk import` resource mapping per stack whose deleted predecessor kept
# resources; each stack is imported (archive first: artifact IDs in order), then everything is deployed.
redeploy: setup
	@tmp="$$(mktemp -d "$(CURDIR)/.cdk.out.XXXXXX")" && trap 'rm -rf "$$tmp"' EXIT && \
	cdk synth --quiet -o "$$tmp" -c "config=$$CONFIG" && \
	"$(VENV)/bin/python" -m ebtrail.verifier import-map --assembly "$$tmp" --out "$$tmp/import" && \
	for mapping in "$$tmp"/import/*.json; do \
	  test -e "$$mapping" || continue; \
	  cdk import --app "$$tmp" "$$(basename "$$mapping" .json)" --resource-mapping "$$mapping" --force || exit 1; \
	done && \
	cdk deploy --app "$$tmp" --all --require-approval "$$APPROVAL"

## verify: prove a deployed trail records Beanstalk calls: make verify TRAIL=<name or ARN> [ARGS="--json"]
verify: setup
	@test -n "$$TRAIL" || { echo "usage: make verify TRAIL=<trail name or ARN> [ARGS=...]" >&2; exit 2; }
	@"$(VENV)/bin/python" -m ebtrail.verifier verify --trail "$$TRAIL" $(ARGS)

## bench: the benchmarks under bench/ (minutes; results are ratios and counts)
bench: setup
	"$(VENV)/bin/python" bench/lifecycle_cost.py
	"$(VENV)/bin/python" bench/synth_bench.py
	"$(VENV)/bin/python" bench/suite_bench.py
	"$(VENV)/bin/python" bench/scale_bench.py
	"$(VENV)/bin/python" bench/cli_start_bench.py
	"$(VENV)/bin/python" bench/preflight_bench.py
	"$(VENV)/bin/python" bench/integrity_bench.py

## lock: re-resolve constraints.txt after editing requirements*.txt
lock:
	rm -rf /tmp/ebtrail-lock && "$$PYTHON" -m venv /tmp/ebtrail-lock
	/tmp/ebtrail-lock/bin/pip install --quiet -r requirements-dev.txt
	{ echo '# Full pin of every Python package, transitive ones included (regenerate with `make lock`).'; \
	  /tmp/ebtrail-lock/bin/pip freeze --exclude pip --exclude setuptools --exclude wheel; } > constraints.txt

## clean: remove cdk.out and the tool caches
clean:
	rm -rf cdk.out .cdk.out.* site .pytest_cache .mypy_cache .ruff_cache
