# Two commands do all set-up: `make default` (the embedded default run) and `make test` (the tests).
# `make default` writes only under runs/ (ignored); `make example-report` refreshes the committed
# example report in reports/default/ (the same run, report written there).
PY ?= python3
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup default example-report test test-fast
setup: .setup-stamp
.setup-stamp: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch .setup-stamp

default: setup
	unison-bench default

example-report: setup
	unison-bench default --report reports/default

test: setup
	$(PY) -m pytest -q tests

test-fast: setup
	$(PY) -m pytest -q -m "not e2e" tests
