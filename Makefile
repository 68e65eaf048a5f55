# Two commands for a newcomer: `make run` (the bot, or the local demo without tokens) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint i18n bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/cdsbot run

# Headless Chromium + chromedriver for tests/test_browser.py (Debian packages; needs root).
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "note: apt-get install chromium chromium-driver to run the browser test (skipped without them)"; fi

test: $(STAMP) browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	NO_PROXY=127.0.0.1,localhost $(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# After changing user-facing strings: re-extract and merge into the vi/en catalogs, then translate.
i18n: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -o locales/messages.pot --no-location --sort-output --width 120 \
		--project cdsbot -k N_ -k _ -k ngettext:1,2 bot handlers storage reminders locales
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --width 120

# Benchmarks on small data (see bench/README.md for the full-size runs and their results).
bench: $(STAMP)
	$(PY) -m bench.status --db sqlite --scale 1
	$(PY) -m bench.sweep --db sqlite --scale 1
	$(PY) -m bench.conversation --db sqlite --scale 1

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
