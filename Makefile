# Lưu Động: `make run` starts the server with demo data, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements-dev.lock | sha256sum | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

FRONTEND := backend/field_app/frontend
NPM_STAMP := $(FRONTEND)/node_modules/.installed-$(shell cat $(FRONTEND)/package-lock.json | sha256sum | cut -c1-12)
APP_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/public -type f) $(FRONTEND)/build.mjs

.PHONY: install run test test-quick lint lock format system-deps node-deps test-deps frontend clean

## System packages: zbar (QR decoding, at run time) and Chromium (the browser tests drive
## Debian's build through Playwright; no browser is downloaded).
system-deps:
	@if ! ldconfig -p | grep -q 'libzbar\.so\.0'; then \
		echo "==> installing libzbar0 (Debian package)"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends libzbar0; \
	fi

## Node.js and npm build the field app (Debian's packages when they are missing).
node-deps:
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
		echo "==> installing nodejs and npm (Debian packages)"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends nodejs npm; \
	fi

$(NPM_STAMP): $(FRONTEND)/package-lock.json | node-deps
	@echo "==> installing the field app's npm packages (from the lock file)"
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	@touch $(NPM_STAMP)

$(FRONTEND)/dist/index.html: $(NPM_STAMP) $(APP_SOURCES)
	cd $(FRONTEND) && npm run build --silent

## The field app (/thiet-bi/) and htmx for the staff pages, built from the npm lock file.
frontend: $(FRONTEND)/dist/index.html

test-deps: system-deps
	@if ! command -v chromium >/dev/null; then \
		echo "==> installing chromium (Debian package, for the browser tests)"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends chromium; \
	fi
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
		echo "==> installing nginx (Debian package; the deployment test runs compose's proxy)"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends nginx; \
	fi
	@if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx vie; then \
		echo "==> installing tesseract-ocr with Vietnamese (Debian packages; the legibility tests read pages)"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends tesseract-ocr tesseract-ocr-vie; \
	fi
	@if ! command -v redis-server >/dev/null; then \
		echo "==> installing redis-server (Debian package; the tests start their own)"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends redis-server; \
	fi
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
		echo "==> installing python3-venv (Debian package)"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends python3-venv; }

$(STAMP): pyproject.toml requirements-dev.lock | system-deps
	@echo "==> creating $(VENV) and installing the project"
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	@# Exact versions and hashes from the lock (make lock), then the project itself.
	$(BIN)/pip install -q --require-hashes -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

## Install the project and build the field app, without starting anything (docs/deploy.md).
install: $(STAMP) frontend

## The demo: SQLite, demo data and demo passwords, on this PC's network address.
run: $(STAMP) frontend
	$(BIN)/luudong migrate
	$(BIN)/luudong seed-demo
	$(BIN)/luudong serve --demo

## Run the whole suite: database tests on SQLite, and on PostgreSQL at TEST_DATABASE_URL.
test: $(STAMP) test-deps frontend
	$(BIN)/pytest

## The suite without the long kill campaigns and attack suites (CI runs everything).
test-quick: $(STAMP) test-deps frontend
	$(BIN)/pytest -m "not campaign and not attack"

## Re-resolve the lock files after a change to pyproject.toml (pins kept unless --upgrade is
## added): requirements.lock for the image, requirements-dev.lock for development and CI.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
		--no-header --annotation-style line -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --no-header --annotation-style line -q -o requirements-dev.lock

## ruff (lint and format check) and mypy.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(FRONTEND)/node_modules $(FRONTEND)/dist \
		backend/web/static/build
