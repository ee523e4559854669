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

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-test
	$(BIN)/python bench/sla_bench.py
	$(BIN)/python bench/demo_bench.py
	$(BIN)/python bench/queue_bench.py
	$(BIN)/python bench/case_bench.py
	$(BIN)/python bench/desk_bench.py
	$(BIN)/python bench/board_bench.py
	$(BIN)/python bench/search_bench.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) build dist .pytest_cache
