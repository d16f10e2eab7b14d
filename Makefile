# The two commands a newcomer runs (see README): `make run` and `make test`.
# Everything they need is installed here, from PyPI and (for browser tests) Debian packages.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install system-deps validate lint bench bench-scale clean

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

## Debian packages the browser tests need (headless Chromium and its driver; pdftotext reads the printed
## briefs), installed only if missing
system-deps:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 \
	    && command -v pdftotext >/dev/null 2>&1; then :; \
	else \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver poppler-utils; \
	fi

## set up (including test extras and Debian packages the tests need) and run the whole suite
test: install system-deps
	$(BIN)/ruff check neaspec_kg api tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check neaspec_kg api tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/store_choice.py

## how the build, the index and the analyses grow with the number of mechanisms (prints medians and floors)
bench-scale: install
	$(BIN)/python bench/scale.py --sizes 1000 10000 --validate-max 10000 --pairs-max 10000

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts
