# CivicSanté — two commands: `make run` (app on SQLite with demo data) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app civicsante
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install css translations messages chromium pdf-libraries wrk test-sqlite test-postgres bench bench-needs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed translations pdf-libraries

# Compiled catalogues (.mo) are build output, made from the committed .po files.
translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d civicsante/translations

# Refresh the catalogue after adding or changing strings, then translate the new entries.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o civicsante/translations/messages.pot .
	$(BIN)/pybabel update -N -i civicsante/translations/messages.pot -d civicsante/translations

# app.css is the source; pages load the minified copy (4 kB less on every first visit).
css: $(VENV)/.installed
	$(BIN)/python -c "import rcssmin, pathlib; d = pathlib.Path('civicsante/static/css'); (d / 'app.min.css').write_text(rcssmin.cssmin((d / 'app.css').read_text()) + '\\n')"

run: install
	CIVICSANTE_ENV=development $(FLASK) db upgrade
	CIVICSANTE_ENV=development $(FLASK) demo --if-empty
	CIVICSANTE_ENV=development $(FLASK) run --host $(HOST) --port $(PORT)

# Browser tests drive Debian's Chromium; install it when missing and we may (root).
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installation de Chromium (Debian)…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium manque et je ne suis pas root : installez-le (apt-get install chromium)." >&2; exit 1; \
	  fi; \
	fi

# The annual report's PDF (WeasyPrint) needs Debian's pango and harfbuzz libraries; the tests
# read it back with pdftotext (poppler-utils). Installed like Chromium: when missing, as root.
# Without root, `make run` only warns (the app runs; only the PDF download needs them), while
# `make test` stops, since its PDF tests need them.
PDF_REQUIRED ?= 0
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils
pdf-libraries:
	@if ! command -v pdftotext >/dev/null 2>&1 || ! ldconfig -p | grep -q libpangoft2-1.0; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installation des bibliothèques du PDF (Debian)…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_PACKAGES) >/dev/null; \
	  else \
	    echo "pango ou pdftotext manque et je ne suis pas root : apt-get install $(PDF_PACKAGES)" >&2; \
	    if [ "$(PDF_REQUIRED)" = "1" ]; then exit 1; fi; \
	  fi; \
	fi

# The two passes run side by side (the machine has two cores; their databases are separate):
# the PostgreSQL pass writes to $(PG_LOG), printed once both are done.
PG_LOG ?= .pytest-postgres.log
PYTEST := $(BIN)/pytest -q -p no:cacheprovider
test: PDF_REQUIRED = 1
test: install chromium pdf-libraries
	@if $(BIN)/python -c "import socket,sys; s=socket.socket(); s.settimeout(2); sys.exit(s.connect_ex(('$(PG_HOST)', $(PG_PORT))))"; then \
	  echo "== Tests sur SQLite, et en parallèle sur PostgreSQL ($(PG_TEST_URL)) =="; \
	  ( TEST_DATABASE_URL=$(PG_TEST_URL) $(PYTEST) > $(PG_LOG) 2>&1; echo $$? > $(PG_LOG).rc ) & \
	  $(PYTEST); sqlite=$$?; wait; \
	  echo "== Tests sur PostgreSQL ($(PG_TEST_URL)) =="; cat $(PG_LOG); pg=$$(cat $(PG_LOG).rc); \
	  rm -f $(PG_LOG) $(PG_LOG).rc; \
	  echo "== Bases testées : SQLite (code $$sqlite) et PostgreSQL (code $$pg) =="; \
	  [ "$$sqlite" = 0 ] && [ "$$pg" = 0 ]; \
	else \
	  echo "== Tests sur SQLite =="; $(PYTEST) || exit $$?; \
	  echo "== PostgreSQL ne répond pas sur $(PG_HOST):$(PG_PORT) : seule la base SQLite a été testée =="; \
	fi

test-sqlite: install
	@echo "== Tests sur SQLite =="
	$(PYTEST)

test-postgres: install
	@echo "== Tests sur PostgreSQL ($(PG_TEST_URL)) =="
	TEST_DATABASE_URL=$(PG_TEST_URL) $(PYTEST)

# The benchmark with its budgets (tests/bench/run.py): the baseline app and CivicSanté under
# gunicorn, loaded by wrk at 1, 16 and 64 clients, on SQLite then PostgreSQL when it answers;
# writes bench/results.json. About 8 minutes on 2 cores. BENCH_ARGS="--seconds 3 --skip-postgres"
# for a quicker look. wrk comes from Debian, installed like Chromium (as root, when missing).
BENCH_ARGS ?=
wrk:
	@if ! command -v wrk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installation de wrk (Debian)…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else \
	    echo "wrk manque et je ne suis pas root : installez-le (apt-get install wrk)." >&2; exit 1; \
	  fi; \
	fi

bench: install wrk
	$(BIN)/python -m tests.bench.run $(BENCH_ARGS)

# Finer looks at one area, in-process, with SQL statements per page (profiling aids).
bench-needs: install
	$(BIN)/python -m tests.bench.bench_needs_list

clean:
	rm -rf $(VENV) instance .pytest_cache
	find civicsante/translations -name '*.mo' -delete
