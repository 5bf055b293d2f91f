# Everything a newcomer needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Django 6 wants Python 3.12+: take the newest interpreter this machine has,
# falling back to python3 (3.11 gets Django 5.2 LTS, which the code supports).
PYTHON_FOR_VENV ?= $(shell for p in python3.12 python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3 $$HOME/.pyenv/versions/3.13*/bin/python3 /usr/bin/python3.12 /usr/bin/python3.13 python3; do if $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then echo $$p; break; fi; done)
PYTEST_WORKERS ?= 2

.PHONY: install run test chaos bench messages clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON_FOR_VENV) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py run_embedded

test: install
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The fault tests alone (also part of `make test`): PostgreSQL restarted, Redis down
# or hanging, localstripe down, a worker killed mid-batch, schemathesis, fuzzed uploads.
chaos: install
	$(PY) -m pytest -n $(PYTEST_WORKERS) tests/faults $(PYTEST_ARGS)

bench: install
	$(PY) -m bench

# Compiled catalogues are committed: msgfmt is not on every machine.
messages: install
	$(PY) manage.py makemessages -l en -l fr --ignore=.venv --ignore=var --ignore=staticfiles --ignore=bench --ignore=tests --no-obsolete
	$(PY) manage.py french_plurals
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles
