# The README's two commands are `make run` and `make test`; everything else serves them.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

# A Python >= 3.12: $(PYTHON) if given, else the first suitable interpreter found, pyenv's included.
FIND_PYTHON = for candidate in $(PYTHON) python3.13 python3.12 python3 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null); do \
	  if command -v $$candidate >/dev/null 2>&1 && $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	    command -v $$candidate; exit 0; fi; done; exit 1

.PHONY: run test lint format install install-test npm static migrate seed superuser browser pdf clean

run: install npm pdf .env migrate static seed
	$(PY) manage.py serve

test: install-test npm .env browser pdf
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-test
	$(VENV)/bin/ruff check .

format: install-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

$(VENV)/bin/python:
	@python=$$($(FIND_PYTHON)) || { echo "Hamandishi needs Python 3.12 or newer (hazm 0.12 does not install on 3.11)."; \
	  echo "Install one (for example 'pyenv install 3.12') or name it: make PYTHON=/path/to/python3.12 run"; exit 1; }; \
	echo "Using $$python ($$($$python --version))"; \
	$$python -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

npm: node_modules/.package-lock.json

.env:
	cp .env.example .env

migrate:
	$(PY) manage.py migrate --noinput

static:
	$(PY) manage.py collectstatic --noinput --verbosity 0

seed:
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_demo_report

# The one account with every power in /admin/; createsuperuser asks for its name and password, so none is
# written down anywhere. Works on the development database and, with DATABASE_URL set, on production.
superuser: install .env migrate
	$(PY) manage.py createsuperuser

# Browser tests drive Debian's Chromium; skipped (with the reason) when it cannot be installed.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "Could not install Chromium; browser tests will be skipped."; \
	  else echo "Chromium missing and not root; browser tests will be skipped (apt-get install chromium)."; fi; \
	fi

# Report PDFs: WeasyPrint shapes Persian through Debian's Pango; the PDF tests read pages with poppler-utils.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 poppler-utils
pdf:
	@if ! $$(command -v ldconfig || echo /sbin/ldconfig) -p | grep -q libpangoft2-1.0 || ! command -v pdftoppm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_PACKAGES) >/dev/null) \
	      || echo "Could not install $(PDF_PACKAGES); report PDFs need Pango."; \
	  else echo "Pango or poppler-utils missing and not root: apt-get install $(PDF_PACKAGES)"; fi; \
	fi

clean:
	rm -rf $(VENV) node_modules var
