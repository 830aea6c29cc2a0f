# Salesflow — `make run` serves the demo, `make test` runs everything CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SF := $(BIN)/salesflow
PYTEST := $(BIN)/pytest
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/salesflow
SQLITE_TEST_URL ?= sqlite:///$(CURDIR)/var/test.sqlite3
VENDOR := salesflow/static/vendor
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install install-dev assets messages system-libs run test lint typecheck migrations-check \
        test-sqlite test-postgres test-browser services bench clean

help:
	@echo "make run     install, migrate, generate the demo if empty, serve on http://$(HOST):$(PORT) (PORT=8001 to change)"
	@echo "make test    lint, types, migrations check, tests on SQLite and PostgreSQL, browser tests"
	@echo "make install set-up only;  make lint;  make bench"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Only the files the templates load: the rest of the packages' dist folders (RTL and unminified
# builds, source maps, Tabler's flag/payment sheets, the 200/300/filled icon weights) would be
# collected and Brotli-compressed by `salesflow serve` for nothing. A stamp keeps the copies (and
# their mtimes, which collectstatic and the compressed copies key on) until npm installs anew.
assets: $(VENDOR)/.copied

$(VENDOR)/.copied: node_modules/.package-lock.json
	@rm -rf $(VENDOR)
	@mkdir -p $(VENDOR)/tabler/css $(VENDOR)/tabler/js $(VENDOR)/tabler-icons/fonts $(VENDOR)/htmx $(VENDOR)/echarts $(VENDOR)/sortablejs
	cp node_modules/@tabler/core/dist/css/tabler.min.css $(VENDOR)/tabler/css/
	cp node_modules/@tabler/core/dist/js/tabler.min.js $(VENDOR)/tabler/js/
	cp node_modules/@tabler/icons-webfont/dist/tabler-icons.min.css $(VENDOR)/tabler-icons/
	cp node_modules/@tabler/icons-webfont/dist/fonts/tabler-icons.{woff2,woff,ttf} $(VENDOR)/tabler-icons/fonts/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	cp node_modules/sortablejs/Sortable.min.js $(VENDOR)/sortablejs/
	touch $@

# After system-libs (order only): under `make -j2` two apt-get runs would race for dpkg's lock.
messages: $(VENV)/.installed | system-libs
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext >/dev/null)
	for po in salesflow/locale/*/LC_MESSAGES/django.po; do msgfmt --check -o $${po%.po}.mo $$po; done

# Quote PDFs are printed by WeasyPrint: Pango from Debian, HarfBuzz's subsetter (without it WeasyPrint
# subsets the CJK font with fontTools, about a third of a print), and the CJK fonts they embed.
system-libs:
	@(ldconfig -p | grep -q libpangoft2-1.0 && ldconfig -p | grep -q libharfbuzz-subset && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" && command -v pdftotext >/dev/null) || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils >/dev/null)

install: $(VENV)/.installed assets messages system-libs
	@mkdir -p var

# `salesflow demo --if-empty` migrates first (and only then looks for data), so no separate
# `manage migrate` process pays Django's start-up again.
# Both cores work: pip and npm install side by side, and the static files are collected and
# compressed (`serve --static-only`) while the demo is generated, so `serve` starts at once.
run:
	$(MAKE) --no-print-directory -j2 install
	@$(SF) serve --static-only & static=$$!; \
	  $(SF) demo --if-empty; demo=$$?; \
	  wait $$static; collected=$$?; test $$demo = 0 -a $$collected = 0
	$(SF) serve --host $(HOST) --port $(PORT)

install-dev: install $(VENV)/.installed-dev

lint: install-dev
	$(BIN)/ruff check salesflow benchmarks tests
	$(BIN)/ruff format --check salesflow benchmarks tests

typecheck: install-dev
	$(BIN)/mypy salesflow benchmarks tests

migrations-check: install-dev
	DATABASE_URL=$(SQLITE_TEST_URL) $(SF) manage makemigrations --check --dry-run

services:
	scripts/ensure-services.sh

# Two workers: the machines have two cores. PostgreSQL-only tests deselect themselves on SQLite.
PYTEST_WORKERS ?= 2

test-sqlite: install-dev
	DATABASE_URL=$(SQLITE_TEST_URL) $(PYTEST) -m "not browser" -q -n $(PYTEST_WORKERS)

test-postgres: install-dev services
	DATABASE_URL=$(PG_TEST_URL) $(PYTEST) -m "not browser" -q -n $(PYTEST_WORKERS)

# One process: the demo company is built once and restored before each test (tests/browser/conftest.py);
# two xdist workers (each its own server, chromium and demo) were measured no faster on two cores.
test-browser: install-dev services
	DATABASE_URL=$(SQLITE_TEST_URL) SALESFLOW_TEST_DATABASE_FILE=$(CURDIR)/var/browser-test.sqlite3 $(PYTEST) -m browser -q

test: lint typecheck migrations-check test-sqlite test-postgres test-browser

bench: install-dev services
	$(SF) bench

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
