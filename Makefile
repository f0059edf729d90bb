# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create .venv on first use (python3 >= 3.11 must be on PATH).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every file with generated console transcripts (cog blocks; docs/_cog.py runs them).
DOCS := README.md $(wildcard docs/*.md)
COG := $(BIN)/cog -I docs --check-fail-msg='run make docs and commit the result'

.PHONY: demo test test-fast lint docs bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/bot demo

# CI runs exactly this (.ci/run), and the README names it: lint first, then the tests.
test: lint
	$(BIN)/pytest -q

# The same without the tests marked slow (subprocesses, many seconds each).
test-fast: lint
	$(BIN)/pytest -q -m "not slow"

# Static checks, the layer contracts, then the docs' transcripts against real runs (fails
# when one is stale: run `make docs` and commit the result). The files are checked side by
# side: their sessions mostly wait on subprocesses (bot demo alone takes ~12 s).
lint: $(BIN)/.installed
	$(BIN)/ruff check bot tests
	$(BIN)/ruff format --check bot tests
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	printf '%s\n' $(DOCS) | xargs -P 4 -n 1 $(COG) --check --diff

# Regenerate every transcript in README.md and docs/*.md from real runs.
docs: $(BIN)/.installed
	$(COG) -r $(DOCS)

bench: $(BIN)/.installed
	for b in tests/bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
