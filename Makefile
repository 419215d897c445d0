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
.PHONY: help run test test-fast lint bench chaos migrate demo web worker beat clean

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

lint: $(VENV)/.installed-dev ## ruff, mypy, the import contracts (pyproject.toml), and a check that no model change lacks a migration
	ruff check .
	ruff format --check .
	mypy
	lint-imports
	DJANGO_SETTINGS_MODULE=backend.settings.test python manage.py makemigrations --check --dry-run

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
