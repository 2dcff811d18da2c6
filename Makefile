# The two commands a newcomer needs: `make up` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: help install chromium up test faults test-fast lint typecheck asyncapi bench lock clean

help:
	@echo "make up      run the whole system (embedded PostgreSQL + Kafka-protocol broker)"
	@echo "make test    import contracts, lint, types (mypy strict), AsyncAPI drift check, all tests"
	@echo "make faults  kill a consumer, the broker and PostgreSQL under load; count lost and doubled"
	@echo "make bench   measure throughput/latency against this machine's raw limits"
	@echo "make lint | typecheck | asyncapi | lock | clean"

$(STAMP):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "SLRT needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# The browser tests drive Debian's Chromium (Playwright's own browser download cannot be
# fetched here). Installed when missing and we are root; otherwise those tests say why
# they are skipped.
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: the browser tests will be skipped"; \
	  else echo "chromium is not installed (not root): the browser tests will be skipped"; fi; }

up: install
	$(BIN)/slrt up

test: install chromium
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/mypy shared services analytics tests bench
	$(BIN)/python -m shared.asyncapi --check
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=10 -m "not faults"

# The fault suite (issue 16.11): a consumer killed, the broker down 30 s, PostgreSQL down
# 15 s, each under load, on its own PostgreSQL and broker; the table goes to .slrt/faults.md.
faults: install
	$(BIN)/python -m pytest -q -p no:cacheprovider -m faults tests/faults

test-fast: install
	$(BIN)/python -m pytest -q -m "not e2e and not browser" -x

lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy shared services analytics tests bench

asyncapi: install
	$(BIN)/python -m shared.asyncapi --write

bench: install
	$(BIN)/python -m bench

# Re-pin every dependency from pyproject.toml: requirements.lock (everything: `make up`,
# `make test`, the bench) and requirements-runtime.lock (what the image needs: no dev
# tools, no embedded PostgreSQL or broker), the latter at the versions of the former.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/python -m pip install --quiet --upgrade pip
	.lockenv/bin/python -m pip install --quiet -e '.[local,dev]'
	.lockenv/bin/python -m pip freeze --exclude-editable | grep -v '^slrt' > requirements.lock
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/python -m pip install --quiet --upgrade pip
	.lockenv/bin/python -m pip install --quiet -c requirements.lock .
	.lockenv/bin/python -m pip freeze | grep -v '^slrt' > requirements-runtime.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .slrt .pytest_cache .ruff_cache .mypy_cache
