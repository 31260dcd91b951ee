# OMS — the two commands: `make run` (demo on this machine) and `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
DEMO_PASSWORD := oms-demo-2026

# Tests and `make stack` use PostgreSQL and Redis; these are the local servers.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/oms
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
STACK_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/oms_stack
STACK_REDIS_URL ?= redis://127.0.0.1:6379/1
STACK_VAR_DIR ?= var/stack
# `make bench` creates and drops this scratch database and empties this Redis db (empty at the start).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/oms_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/14

# Debian packages (scripts/system-packages installs the missing ones when run as root).
# WeasyPrint lays out the PDF documents with pango and needs a CJK font for Chinese text.
DOCUMENT_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
# The tests also drive a browser, read PDFs with poppler and extract messages with xgettext.
TEST_PACKAGES := chromium poppler-utils gettext

.PHONY: run test stack bench install gettext test-packages lint check-migrations clean help

help:
	@echo "make run    - set up and serve the demo on http://127.0.0.1:8000 (SQLite, embedded broker)"
	@echo "make test   - install if needed and run the whole suite on PostgreSQL and Redis"
	@echo "make stack  - the same app on local PostgreSQL and Redis, with a Celery worker and beat"
	@echo "make bench  - the benchmarks on this machine (gunicorn, Celery, PostgreSQL, Redis); prints a table"
	@echo "              (options: make bench BENCH_ARGS='--runs 5 --skip-scale'; see bench/run.py --help)"
	@echo "make lint   - ruff check"

$(INSTALLED): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

install: $(INSTALLED)
	@$(SHELL) scripts/system-packages $(DOCUMENT_PACKAGES)
	@$(PY) manage.py compiletranslations -v0 >/dev/null

define demo_logins
	@echo ""
	@echo "  OMS is starting on http://127.0.0.1:8000  (Ctrl-C stops everything)"
	@echo "  Demo logins, password '$(DEMO_PASSWORD)' for all:"
	@echo "    sales, sales2 (sales) · desk (order desk) · reviewer · planner · warehouse"
	@echo "    logistics · manager · integration (API token) · admin (staff admin)"
	@echo ""
endef

run: install
	env -u DATABASE_URL -u REDIS_URL $(PY) manage.py migrate --noinput -v0
	env -u DATABASE_URL -u REDIS_URL $(PY) manage.py seed_demo
	$(PY) manage.py collectstatic --noinput -v0
	$(demo_logins)
	env -u DATABASE_URL -u REDIS_URL SECURE_COOKIES=0 $(VENV)/bin/honcho start -f Procfile

stack: install
	@psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='oms_stack'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres oms_stack
	DATABASE_URL=$(STACK_DATABASE_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(STACK_DATABASE_URL) $(PY) manage.py seed_demo
	$(PY) manage.py collectstatic --noinput -v0
	$(demo_logins)
	DATABASE_URL=$(STACK_DATABASE_URL) REDIS_URL=$(STACK_REDIS_URL) OMS_VAR_DIR=$(STACK_VAR_DIR) SECURE_COOKIES=0 \
		$(VENV)/bin/honcho start -f Procfile

# The i18n test extracts messages with GNU xgettext; install it where we can.
gettext:
	@$(SHELL) scripts/system-packages gettext

test-packages:
	@$(SHELL) scripts/system-packages $(TEST_PACKAGES)

test: install test-packages
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) -m pytest

# Starts the stack itself, runs the load from a separate process and stops everything it started.
bench: install
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) $(PY) bench/run.py $(BENCH_ARGS)

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .

check-migrations: $(INSTALLED)
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles .pytest_cache .ruff_cache
