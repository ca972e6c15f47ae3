# Two entry points for a fresh machine: `make run` (install, then the front end on
# localhost) and `make test` (install, then lint and the whole test suite, browser
# included). Python packages live in .venv; the browser is Debian's chromium.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SCENARIO ?= scenarios/canary-fraud-argo.yaml
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run simulate test browser validate bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Unattended: no prompt, and a browser tab only where a graphical one can open
# (Streamlit's settings: .streamlit/config.toml; the start: simulator/cli/launcher.py).
run: $(STAMP)
	$(BIN)/deploysim app --port $(PORT)

simulate: $(STAMP)
	$(BIN)/deploysim run $(SCENARIO) --events

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --nbmake --nbmake-timeout=300 -p no:cacheprovider notebooks

# Headless Chromium for the browser test: Debian's package (Playwright's download is
# not reachable here), without the desktop packages it recommends.
browser:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
		--no-install-recommends chromium; }

validate: $(STAMP)
	$(BIN)/deploysim validate

bench: $(STAMP)
	$(BIN)/deploysim bench --memory-requests 20000000

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
