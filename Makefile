# admint — the two commands are `make demo` and `make test`; everything they need is installed by `make setup`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := $(UV) run --frozen
PYTEST := $(RUN) pytest
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help setup tools up demo test test-unit test-contract test-integration test-e2e test-faults test-browser soak lint \
	k8s-validate bench schemas asyncapi dashboard clean

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

setup: tools ## install uv, ffmpeg/ffprobe, docker-compose (validation only) and the locked Python environment
	@# bytecode ahead of time: every service, test stack and bench starts a dozen interpreters, and without .pyc
	@# files (PYTHONDONTWRITEBYTECODE is common on CI) each one compiled its imports again: ~2.5 s of CPU a start
	@$(UV) sync --frozen --all-packages --quiet --compile-bytecode
	@$(UV) run --frozen python -m compileall -q -j 0 contracts/src libs/*/src cli/src client/src gateway/src \
		services/*/src >/dev/null
	@echo "setup: Python environment ready ($$($(UV) run --frozen python --version))"

tools:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null || ! command -v docker-compose >/dev/null; then \
		echo "setup: installing ffmpeg and docker-compose from Debian"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			ffmpeg docker-compose >/dev/null; \
	fi
	@if ! command -v chromium >/dev/null; then \
		echo "setup: installing chromium from Debian (the browser tests drive it with Playwright)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; \
	fi
	@if [ ! -f .cache/npm/node_modules/axe-core/axe.min.js ]; then \
		echo "setup: installing axe-core from npm into .cache/npm (accessibility checks in the browser tests)"; \
		command -v npm >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			$(SUDO) apt-get install -y -qq npm >/dev/null; }; \
		npm install --silent --no-audit --no-fund --prefix .cache/npm axe-core@4 >/dev/null; \
	fi
	@if ! command -v promtool >/dev/null; then \
		echo "setup: installing promtool (Debian package prometheus; k8s-validate checks the alert rules with it)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			--no-install-recommends prometheus >/dev/null; \
	fi

up: setup ## run the whole local stack + every service + gateway in the foreground (Ctrl-C stops all)
	@$(RUN) honcho start -f Procfile

demo: setup ## start everything, generate a 30 s 1080x1920 ad with offline providers into out/demo.mp4, stop
	@$(RUN) python -m admint.devstack demo --out out/demo.mp4

test: setup lint k8s-validate ## the whole suite: lint, manifests, unit, contract, integration, e2e, faults, browser
	@$(PYTEST) -q tests --ignore=tests/browser
	@$(PYTEST) -q tests/browser  # its own process: Playwright's sync API holds an event loop the async tests need

test-unit: setup ## unit tests (fakes of our own ports)
	@$(PYTEST) -q -m unit tests

test-contract: setup ## event models vs committed schemas and golden samples
	@$(PYTEST) -q -m contract tests

test-integration: setup ## adapters and services against the real local servers
	@$(PYTEST) -q -m integration tests

test-e2e: setup ## the whole system as processes + gateway
	@$(PYTEST) -q -m e2e tests

test-browser: setup ## the web studio in Debian's Chromium (Playwright) against the real stack
	@$(PYTEST) -q -m browser tests

soak: setup ## the ~10 minute chaos soak: kill -9 anything every few seconds under load, then audit everything
	@ADMINT_SOAK_SECONDS=600 ADMINT_SOAK_GENERATIONS=20 $(PYTEST) -q -s -m soak tests/soak

test-faults: setup ## fault-injection suite on the real local stack
	@$(PYTEST) -q -m faults tests

lint: setup ## ruff, import-linter layer rules, declared dependencies (deptry + workspace), mypy on every package
	@$(RUN) ruff check .
	@$(RUN) lint-imports
	@$(RUN) python infra/depcheck.py
	@$(RUN) mypy contracts/src libs/*/src services/*/src gateway/src cli/src client/src

k8s-validate: setup ## render every kustomize overlay and validate k8s, compose and Dockerfile offline
	@$(RUN) python infra/k8s_validate.py

bench: setup ## benchmarks that print ratios against baselines measured in the same run, then one table
	@$(RUN) python bench/all.py

schemas: setup ## regenerate contracts/schemas/*.json after an intended contract change
	@$(RUN) python -m admint.contracts.schema_files contracts/schemas

asyncapi: setup ## regenerate the AsyncAPI 3 document (contracts asyncapi.json) from the services' wiring
	@$(RUN) python infra/asyncapi_gen.py

dashboard: setup ## regenerate the Grafana dashboard (k8s/observability) from infra/dashboard_gen.py
	@$(RUN) python infra/dashboard_gen.py

clean: ## remove local data and outputs
	rm -rf .admint out
