# The two commands a newcomer runs (see README): `make run` and `make test`.
# Everything they need is installed here, from PyPI and (for browser tests) Debian packages.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install validate lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

## build and validate the graph; refuse to go on if it is invalid
validate: install
	$(BIN)/neaspec-kg validate

## set up, build, validate, then start the main job
run: validate
	$(BIN)/neaspec-kg stats

## set up (including test extras and Debian packages the tests need) and run the whole suite
test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check neaspec_kg tests bench tools

bench: install
	$(BIN)/python bench/store_choice.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts
