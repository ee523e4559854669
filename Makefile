# Two set-up commands for a fresh machine with python3 and make: `make run`, `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps make re-installation happen only when pyproject.toml changes. An editable
# install leaves deskterm's own modules uncompiled (pip compiles a wheel's), and where
# PYTHONDONTWRITEBYTECODE is set every start would compile them again: compile once.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q src >/dev/null
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q src >/dev/null
	touch $(VENV)/.installed $@

# A first run gets a believable desk to look at; later runs keep what is there.
run: $(VENV)/.installed
	$(BIN)/deskterm demo --if-empty
	$(BIN)/deskterm

# Spread over the cores (pytest-xdist): every test keeps its own HOME, database file
# and PostgreSQL schema (tests/conftest.py), so workers share nothing. pytest keeps the
# test modules it rewrote for its assertions only where bytecode may be written: with
# PYTHONDONTWRITEBYTECODE set, every worker of every run rewrote them all again (about
# 4 s of CPU each).
test: $(VENV)/.installed-test
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n auto --durations=10

bench: $(VENV)/.installed-test
	$(BIN)/python bench/sla_bench.py
	$(BIN)/python bench/demo_bench.py
	$(BIN)/python bench/queue_bench.py
	$(BIN)/python bench/case_bench.py
	$(BIN)/python bench/desk_bench.py
	$(BIN)/python bench/board_bench.py
	@if [ -n "$(DESKS)" ]; then $(BIN)/python bench/figures_bench.py --live $(DESKS); \
	else echo "figures_bench: skipped (DESKS='copy-of-100k.db copy-of-1m.db', at the newest schema)"; fi
	@if [ -n "$(DESKS)" ]; then $(BIN)/python bench/cli_bench.py $(DESKS); \
	else echo "cli_bench: skipped (DESKS='copy-of-100k.db copy-of-1m.db', at the newest schema)"; fi
	@if [ -n "$(PG_DESKS)" ]; then $(BIN)/python bench/cli_bench.py --sweep-only $(foreach d,$(PG_DESKS),--pg $(d)); \
	else echo "cli_bench sweep on PostgreSQL: skipped (PG_DESKS='postgresql+psycopg://host/demo-desk', cloned per run)"; fi
	@if [ -n "$(DESKS)" ]; then $(BIN)/python bench/policy_bench.py $(firstword $(DESKS)); \
	else echo "policy_bench: skipped (DESKS='copy-of-100k.db ...', at the newest schema)"; fi
	$(BIN)/python bench/search_bench.py

# The layers' contracts (pyproject.toml [tool.importlinter]), the linter and strict
# types on the whole package ([tool.mypy]); CI runs them before the tests (.ci/run).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build dist .pytest_cache
