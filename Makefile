# The two commands a newcomer runs (see README): `make run` and `make test`.
# Everything they need is installed here, from PyPI and (for browser tests) Debian packages.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install system-deps validate lint bench bench-scale messages clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

## build and validate the graph; refuse to go on if it is invalid
validate: install
	$(BIN)/neaspec-kg validate

## set up, build, validate, then start the main job: the server on http://$(HOST):$(PORT)
run: validate
	$(BIN)/neaspec-kg serve --host $(HOST) --port $(PORT)

## Debian packages the tests need, installed only if missing: headless Chromium and its driver (browser
## tests); pdftotext (reads the printed briefs); a CJK font (zh/ja/ko pages and briefs print as text, not
## boxes); OpenLink Virtuoso (the second real remote store the store tests run against)
system-deps:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 \
	    && command -v pdftotext >/dev/null 2>&1 && [ -d /usr/share/fonts/truetype/wqy ] \
	    && command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1; then :; \
	else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver poppler-utils fonts-wqy-zenhei \
	    virtuoso-opensource; \
	fi

## set up (including test extras and Debian packages the tests need) and run the whole suite
test: install system-deps
	$(BIN)/ruff check neaspec_kg api tests bench tools
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check neaspec_kg api tests bench tools
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/store_choice.py

## how the build, the index and the analyses grow with the number of mechanisms (prints medians and floors)
bench-scale: install
	$(BIN)/python bench/scale.py --sizes 1000 10000

## re-extract the interface strings and merge them into the zh/ja/ko/ru catalogues (then translate the new ones;
## tests/test_i18n.py names any left untranslated)
messages: install
	$(BIN)/pybabel extract -F babel.cfg --sort-by-file --project neaspec-kg --version 0.1.0 \
	    --copyright-holder "neaspec-kg contributors" -o api/locale/messages.pot .
	$(BIN)/pybabel update -i api/locale/messages.pot -d api/locale --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts
