# The two front-door commands: `make run` and `make test` (see README.md).
PYTHON ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: run test lint dupes format lock messages clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs exactly what the lock files pin, and again only when a lock file changes.
$(VENV)/.run-installed: requirements.lock | $(BIN)/python
	$(PIP) install --require-hashes --no-deps -r requirements.lock
	touch $@

$(VENV)/.dev-installed: requirements-dev.lock | $(BIN)/python
	$(PIP) install --require-hashes --no-deps -r requirements-dev.lock
	touch $@ $(VENV)/.run-installed

# E-mail is printed on the console as each step commits (TASKS_BACKEND=immediate, the
# development default): no worker to start. Production runs `manage.py worker` (README).
run: $(VENV)/.run-installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_programmes
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The checkers the tests run in the browser and on the HTML (axe-core, vnu-jar). Their
# install scripts are not run: vnu-jar's would fetch a Java, and the system's is used.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

test: $(VENV)/.dev-installed node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The checks CI runs: ruff, mypy (settings in pyproject.toml), the template linter, then
# the repeated-block check last, so that the others have spoken before it.
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/djlint templates --lint
	@$(MAKE) --no-print-directory dupes

# No block of six or more lines repeated in the package (see [tool.pylint] in pyproject.toml).
dupes: $(VENV)/.dev-installed
	$(BIN)/pylint --score=no tracker

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerate the lock files after changing pyproject.toml.
lock: $(VENV)/.dev-installed
	$(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.12 pyproject.toml -o requirements.lock
	$(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.12 --extra dev pyproject.toml -o requirements-dev.lock

# Extract and compile the interface translations (needs gettext's msgfmt).
messages: $(VENV)/.dev-installed
	$(BIN)/python manage.py makemessages --locale zh_Hans --no-obsolete --ignore .venv --ignore staticfiles --ignore node_modules --ignore tests
	$(BIN)/python manage.py compilemessages --locale zh_Hans --ignore .venv --ignore node_modules

# A large synthetic data set in its own PostgreSQL database, with Redis, through
# gunicorn: prints queries, render times and throughput (see bench/, outside the app).
# Production settings throughout (DEBUG off, hashed and compressed static files), on
# plain HTTP to 127.0.0.1. BENCH_ARGS passes options, e.g. "--sizes small --seconds 1".
BENCH_DBNAME ?= tracker_bench
BENCH_DB ?= postgres://postgres@127.0.0.1:5432/$(BENCH_DBNAME)
BENCH_REDIS ?= redis://127.0.0.1:6379/2
BENCH_ENV = DATABASE_URL=$(BENCH_DB) REDIS_URL=$(BENCH_REDIS) DEBUG=0 \
	SECRET_KEY=bench-only-not-a-secret-0123456789-0123456789-0123456789 \
	ALLOWED_HOSTS=testserver,127.0.0.1 SECURE_SSL_REDIRECT=0 OTP_REQUIRED_FOR_SUPERUSERS=0 \
	STATIC_ROOT=$(CURDIR)/.bench/static LOG_LEVEL=WARNING
bench: $(VENV)/.dev-installed
	dropdb -h 127.0.0.1 -U postgres --if-exists $(BENCH_DBNAME)
	createdb -h 127.0.0.1 -U postgres $(BENCH_DBNAME)
	$(BENCH_ENV) $(BIN)/python manage.py migrate --noinput -v0
	$(BENCH_ENV) $(BIN)/python manage.py collectstatic --noinput --clear -v0
	$(BENCH_ENV) $(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles node_modules .bench
