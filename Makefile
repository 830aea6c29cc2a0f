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

.PHONY: help install install-dev assets messages system-libs run test lint typecheck migrations-check \
        test-sqlite test-postgres test-browser services bench clean

help:
	@echo "make run     install, migrate, generate the demo if empty, serve on http://127.0.0.1:8000"
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

assets: node_modules/.package-lock.json
	@mkdir -p $(VENDOR)/tabler $(VENDOR)/tabler-icons $(VENDOR)/htmx $(VENDOR)/echarts $(VENDOR)/sortablejs
	cp -r node_modules/@tabler/core/dist/css node_modules/@tabler/core/dist/js $(VENDOR)/tabler/
	cp node_modules/@tabler/icons-webfont/dist/tabler-icons.min.css $(VENDOR)/tabler-icons/
	cp -r node_modules/@tabler/icons-webfont/dist/fonts $(VENDOR)/tabler-icons/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	cp node_modules/sortablejs/Sortable.min.js $(VENDOR)/sortablejs/

messages: $(VENV)/.installed
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext >/dev/null)
	for po in salesflow/locale/*/LC_MESSAGES/django.po; do msgfmt --check -o $${po%.po}.mo $$po; done

# Quote PDFs are printed by WeasyPrint: Pango from Debian, HarfBuzz's subsetter (without it WeasyPrint
# subsets the CJK font with fontTools, about a third of a print), and the CJK fonts they embed.
system-libs:
	@(ldconfig -p | grep -q libpangoft2-1.0 && ldconfig -p | grep -q libharfbuzz-subset && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" && command -v pdftotext >/dev/null) || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils >/dev/null)

install: $(VENV)/.installed assets messages system-libs
	@mkdir -p var

run: install
	$(SF) manage migrate --noinput -v 0
	$(SF) demo --if-empty
	$(SF) serve --host 127.0.0.1 --port 8000

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
