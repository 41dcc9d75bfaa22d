# Two commands do all set-up: `make default` (the embedded default run) and `make test` (the tests).
PY ?= python3
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup default test test-fast
setup: .setup-stamp
.setup-stamp: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch .setup-stamp

default: setup
	unison-bench default

test: setup
	$(PY) -m pytest -q tests

test-fast: setup
	$(PY) -m pytest -q -m "not e2e" tests
