# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/python -m pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-dev run serve test e2e screenshots lint lock clean benchmark bench
# The background task worker (impact previews over many intakes, re-screens).
WORKER ?= run_worker

$(PY):
	$(PYTHON) -m venv $(VENV)

# Installs from the lock files (hashes checked); a stamp skips the work when nothing changed.
$(VENV)/.installed: $(PY) requirements/base.txt pyproject.toml
	scripts/ensure-system-packages.sh
	$(PIP) install --quiet --require-hashes -r requirements/base.txt
	$(PIP) install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-dev
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements/dev.txt
	$(PIP) install --quiet --require-hashes -r requirements/dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Migrate, load the default criteria and demo accounts, then serve with a task worker beside.
run: install
	$(PY) manage.py setup_demo
	$(PY) manage.py setup_demo_npi
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops the server and the task worker)"
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	$(PY) manage.py $(WORKER) & \
	$(PY) manage.py runserver $(HOST):$(PORT)

# Production serving (README, "Production"): production settings from the environment
# (DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL), static files collected, the database
# migrated, then gunicorn (config/gunicorn.py) and the task worker, stopped together.
serve: export DJANGO_SETTINGS_MODULE = config.settings.production
serve: install
	@test -n "$$DJANGO_SECRET_KEY" -a -n "$$DJANGO_ALLOWED_HOSTS" -a -n "$$DATABASE_URL" || \
	  { echo "make serve needs DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL (README, Production)"; exit 2; }
	$(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py migrate --noinput
	@echo "Serving with gunicorn on $${GUNICORN_BIND:-127.0.0.1:8000} (Ctrl-C stops it and the task worker)"
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	$(PY) manage.py $(WORKER) & \
	$(VENV)/bin/gunicorn --config config/gunicorn.py config.wsgi

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

# The whole suite. With DATABASE_URL set to a PostgreSQL URL it runs there.
test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The browser tests alone (Debian's Chromium at /usr/bin/chromium; README, "Browser tests").
e2e: install-dev
	$(VENV)/bin/pytest tests/browser $(PYTEST_ARGS)

# The README's pictures (docs/screenshots/), taken by the browser flow tests.
screenshots: install-dev
	DOCS_SCREENSHOTS=1 $(VENV)/bin/pytest tests/browser tests/authorization/test_sample_packet.py -p no:randomly -q $(PYTEST_ARGS)

# Re-lock after changing dependencies in pyproject.toml.
lock: $(PY)
	$(PIP) install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		--generate-hashes -o requirements/base.txt pyproject.toml
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		--generate-hashes --extra dev -o requirements/dev.txt pyproject.toml

benchmark: install-dev
	$(PY) benchmarks/engine_throughput.py

# The pages under load (wrk) against the production server, started on a free loopback port,
# and the in-process figures, on the seeded database DATABASE_URL names (README, "Benchmarks").
# BENCH_ARGS: for example --duration 10 --connections 16 --rescreen (which publishes a version).
bench: install-dev
	@test -n "$$DATABASE_URL" || { echo "make bench needs DATABASE_URL (a database seeded with manage.py seed_benchmark)"; exit 2; }
	@command -v wrk >/dev/null || { echo "make bench needs wrk: sudo apt-get install wrk"; exit 2; }
	DJANGO_DEBUG=0 $(PY) manage.py bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
