# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create .venv on first use (python3 >= 3.11 must be on PATH).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/bot demo

test: lint
	$(BIN)/pytest -q

# The same without the tests marked slow (subprocesses, many seconds each).
test-fast: lint
	$(BIN)/pytest -q -m "not slow"

lint: $(BIN)/.installed
	$(BIN)/ruff check bot tests
	$(BIN)/ruff format --check bot tests
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: $(BIN)/.installed
	for b in tests/bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
