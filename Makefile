# 1022 — two commands: `make run` and `make test` (each installs what is missing first).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# The demo people (db/demo_data.csv, public passwords) load only with IVR_DEMO on: `make run`, `make test` and
# `make bench` are the demo, so they turn it on. A real deployment runs `IVR_DEMO=0 make run` (or `python -m ivr
# run`) after `python -m ivr passwords` (docs/operations.md#demo-people).
IVR_DEMO ?= 1
export IVR_DEMO

.PHONY: webphone run test test-repeat bench screenshots system-run system-test python-run python-test prompts clean help

help:
	@echo "make run    install what is missing, then start Asterisk, PostgreSQL, controller and console"
	@echo "make test   install what is missing, then run the whole test suite"
	@echo "make test-repeat N=3  the integration and end-to-end tests N times; lists every test that failed once"
	@echo "make bench  surge load through real SIP; figures to tests/bench/results.json and docs/performance.md"
	@echo "make screenshots  run the browser tests, copy their screenshots to docs/screenshots/"

run: system-run python-run webphone
	$(PY) -m ivr run

test: system-test python-test webphone
	$(PY) -m ruff check --select F ivr db prompts recordings runtime agent_console contracts tests
	$(PY) -m pytest $(PYTEST_ARGS)

# A flake fails once in N runs: `make test-repeat N=5 PYTEST_ARGS=tests/integration/test_acd.py`.
N ?= 3
test-repeat: system-test python-test webphone
	$(PY) -m tests.repeat --runs $(N) $(PYTEST_ARGS)

bench: system-test python-test
	$(PY) -m tests.bench

# The browser tests write screenshots to tests/artifacts/screenshots/ (ignored by git); this copies them to
# docs/screenshots/, the pictures the docs show.
SCREENSHOTS_OUT := tests/artifacts/screenshots
screenshots: system-test python-test webphone
	rm -rf $(SCREENSHOTS_OUT)
	$(PY) -m pytest -q $(PYTEST_ARGS) tests/e2e/test_console_*.py tests/e2e/test_webrtc_phone.py \
		tests/e2e/test_supervisor_browser_phone.py
	cp $(SCREENSHOTS_OUT)/*.png docs/screenshots/
	@echo "==> docs/screenshots/ refreshed; review with git status / git diff --stat, then commit"

prompts: python-run
	$(PY) -m prompts generate

system-run:
	@scripts/install-system.sh run

system-test:
	@scripts/install-system.sh test

python-run: $(VENV)/.installed-run
python-test: $(VENV)/.installed-test

$(VENV)/.installed-run: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "==> installing Python packages into $(VENV)"
	@$(VENV)/bin/pip install -q --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "==> installing Python packages (with test tools) into $(VENV)"
	@$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@ $(VENV)/.installed-run

# The browser phone's SIP library: JsSIP pinned in webphone/package-lock.json, installed with npm ci
# (integrity-checked) and bundled into one static file the console serves; nothing is fetched at run time.
JSSIP_JS := agent_console/static/vendor/jssip.js
webphone: $(JSSIP_JS)

$(JSSIP_JS): webphone/package.json webphone/package-lock.json webphone/bundle.mjs
	@echo "==> installing the browser phone's JsSIP (npm ci in webphone/)"
	@cd webphone && npm ci --no-audit --no-fund --loglevel=error
	@node webphone/bundle.mjs $@

clean:
	rm -rf $(VENV) .state .pytest_cache
