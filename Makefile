# The two commands: `make run` (everything, with demo data) and `make test` (the whole suite).
# A bare `make` lists the targets. Commands used by docker-compose.yml are the *_CMD variables
# below; tests/test_compose.py checks that both say the same.

PYTHON ?= python3
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

# Where gunicorn listens comes from GUNICORN_CMD_ARGS (compose sets 0.0.0.0:8000), so the
# command itself is the same everywhere. honcho's PORT variable would otherwise move it.
GUNICORN_CMD_ARGS ?= --bind=127.0.0.1:8000
export GUNICORN_CMD_ARGS
# Standalone `make web|worker|beat` use development settings unless told otherwise.
RUN_SETTINGS = DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-backend.settings.local}
WEB_CMD = gunicorn backend.wsgi:application --workers 2 --timeout 120 --access-logfile -
WORKER_CMD = celery -A worker.celery_app worker --loglevel=info --queues=default,reminders,push,reports
BEAT_CMD = celery -A worker.celery_app beat --loglevel=info

.DEFAULT_GOAL := help
.PHONY: help run test test-fast lint lint-js js-tools bench chaos migrate demo web worker beat clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed-runtime: requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-runtime requirements-dev.txt
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The patient app's JavaScript is checked by Biome (lint and format) and TypeScript's compiler
# (the JSDoc types of the modules that say `// @ts-check`), both pinned here and installed from
# the npm registry into var/js-tools/ (git-ignored): the repository holds no package.json and
# no node_modules. A new pin reinstalls them (the stamp's name carries the versions).
BIOME_VERSION := 2.6.9
TYPESCRIPT_VERSION := 5.9.3
JS_TOOLS := var/js-tools
JS_TOOLS_STAMP := $(JS_TOOLS)/.installed-biome-$(BIOME_VERSION)-typescript-$(TYPESCRIPT_VERSION)
# The service worker is a Django template: it is checked as rendered, its {{ shell_urls }} as a
# list of strings, a {{ ... }} in quotes as a word, any other as a string.
SW_TEMPLATE := backend/patientapp/templates/patientapp/sw.js
SW_RENDER := -e 's/\{\{ shell_urls \}\}/[""]/' -e 's/"\{\{ *[a-z_]+ *\}\}"/"x"/g' -e 's/\{\{ *[a-z_]+ *\}\}/""/g'

$(JS_TOOLS_STAMP):
	rm -rf $(JS_TOOLS)
	npm install --prefix $(JS_TOOLS) --no-save --no-package-lock --no-audit --no-fund \
		@biomejs/biome@$(BIOME_VERSION) typescript@$(TYPESCRIPT_VERSION)
	touch $@

js-tools: $(JS_TOOLS_STAMP)

run: $(VENV)/.installed-runtime ## start web, worker and beat with demo data (http://127.0.0.1:8000)
	mkdir -p var
	DJANGO_SETTINGS_MODULE=backend.settings.local python manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=backend.settings.local python manage.py seed_demo
	# -e /dev/null: a compose .env (production hosts) must not leak into the local processes.
	DJANGO_SETTINGS_MODULE=backend.settings.local honcho start -f Procfile -e /dev/null

test: $(VENV)/.installed-dev ## run the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL)
	python -m pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.installed-dev ## the edit-test loop: all but the slow tests, on every core, test databases kept
	python -m pytest -m "not slow" -n auto --reuse-db $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev lint-js ## ruff, mypy, the import contracts (pyproject.toml), no model change without a migration, and lint-js
	ruff check .
	ruff format --check .
	mypy
	lint-imports
	DJANGO_SETTINGS_MODULE=backend.settings.test python manage.py makemigrations --check --dry-run

lint-js: $(JS_TOOLS_STAMP) ## the patient app's JavaScript: Biome's lint and format check (biome.json), tsc's type check (jsconfig.json)
	mkdir -p $(JS_TOOLS)/check
	sed -E $(SW_RENDER) $(SW_TEMPLATE) > $(JS_TOOLS)/check/sw.js
	$(JS_TOOLS)/node_modules/.bin/biome check --error-on-warnings
	$(JS_TOOLS)/node_modules/.bin/tsc --noEmit -p jsconfig.json
	$(JS_TOOLS)/node_modules/.bin/tsc --noEmit -p jsconfig.sw.json

bench: $(VENV)/.installed-dev ## benchmarks on DATABASE_URL (a PostgreSQL *bench database) and REDIS_URL; size BENCH_PATIENTS (10000)
	DJANGO_SETTINGS_MODULE=backend.settings.local python manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=backend.settings.local python -m bench --patients $${BENCH_PATIENTS:-10000}

.PHONY: restore-drill
restore-drill: $(VENV)/.installed-runtime ## restore the newest dump in BACKUP_DIR (var/backups) into a scratch database, compare with DATABASE_URL
	python -m deploy.backup.restore_drill $(DRILL_ARGS)

chaos: $(VENV)/.installed-dev ## fault-injection run (docs/reliability.md): DATABASE_URL's server; CHAOS_PHONES (100), CHAOS_SECONDS (600)
	python -m bench.chaos

migrate: $(VENV)/.installed-runtime ## apply database migrations
	python manage.py migrate --noinput

demo: $(VENV)/.installed-runtime ## (re)create the demo accounts
	python manage.py seed_demo

web: ## the web server alone (gunicorn, http://127.0.0.1:8000)
	$(RUN_SETTINGS) $(WEB_CMD)

worker: ## a Celery worker alone
	$(RUN_SETTINGS) $(WORKER_CMD)

beat: ## the Celery beat scheduler alone (run exactly one)
	$(RUN_SETTINGS) $(BEAT_CMD)

clean: ## remove the virtual environment and local data under var/
	rm -rf $(VENV) var
