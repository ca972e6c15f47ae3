# Two entry points for a fresh machine: `make run` (install, then the main job) and
# `make test` (install, then lint and the whole test suite). Everything lives in .venv.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SCENARIO ?= scenarios/big-bang-release.yaml

.PHONY: install run app test validate bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/deploysim run $(SCENARIO) --events

app: $(STAMP)
	$(BIN)/deploysim app

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

validate: $(STAMP)
	$(BIN)/deploysim validate

bench: $(STAMP)
	$(BIN)/deploysim bench --memory-requests 20000000

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
