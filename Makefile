# The two set-up commands (see README): `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PIP := $(VENV)/bin/pip install --disable-pip-version-check -q -c requirements/constraints.txt
MANAGE := $(VENV)/bin/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format lock clean
# A failed step must not leave a half-made target that later runs trust.
.DELETE_ON_ERROR:

## run: install, migrate SQLite, seed demo content, then serve on http://127.0.0.1:8000 with a
## task worker and the scheduler beside it (Procfile.dev; Ctrl-C stops all three)
run: export DEBUG = 1
run: $(VENV)/.installed-run
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" HOST=$(HOST) $(VENV)/bin/honcho start -f Procfile.dev -p $(PORT)

## test: install the test extra, PostgreSQL and Chromium, run the whole suite
test: $(VENV)/.installed-test
	scripts/run-tests.sh $(ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## lock: re-pin requirements/constraints.txt after changing pyproject.toml
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q -e ".[test]"
	( sed -n '1,2p' requirements/constraints.txt; .lock-venv/bin/pip freeze --exclude-editable ) > requirements/constraints.new
	mv requirements/constraints.new requirements/constraints.txt
	rm -rf .lock-venv

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11, 5) else "Python 3.11.5 or newer is needed (soupsieve, beneath Wagtail; Debian 12 has 3.11.2): make PYTHON=/path/to/python3.11")'
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { echo "$(PYTHON) cannot create virtualenvs: install python3-venv (Debian: apt-get install python3-venv)"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

$(VENV)/.installed-run: $(VENV)/bin/python pyproject.toml requirements/constraints.txt
	$(PIP) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/bin/python pyproject.toml requirements/constraints.txt
	$(PIP) -e ".[test]"
	touch $@ $(VENV)/.installed-run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
