# `make quickstart` and `make test` are the README's two commands; .ci/run calls `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Two stamps, so that `make quickstart` stays lean: the quickstart's operators
# (text filters, exact_dedup) need only the default dependencies, while the tests
# also exercise the model scorers (torch, transformers, fastText: ~2 GB more).
BASE_STAMP := $(VENV)/.thresher-base
TEST_STAMP := $(VENV)/.thresher-test
# What each stamp installs; tests/test_makefile.py checks the quickstart's is extra-free.
BASE_SPEC  := -e .
TEST_SPEC  := -e '.[test,connect,fasttext,clip,lm]'

.PHONY: quickstart test test-fast bench clean

$(BASE_STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(BASE_SPEC)
	$(BIN)/python -m thresher.jobs.warm  # numba kernels compiled once here, not in the first run's workers
	touch $(BASE_STAMP)

$(TEST_STAMP): $(BASE_STAMP)
	$(BIN)/python -m pip install -q $(TEST_SPEC)
	$(BIN)/python -m thresher.jobs.warm
	touch $(TEST_STAMP)

quickstart: $(BASE_STAMP)
	$(BIN)/thresher run recipes/quickstart.yaml

test: $(TEST_STAMP)
	$(BIN)/python -m pytest

test-fast: $(TEST_STAMP)
	$(BIN)/python -m pytest -m "not slow"

bench: $(BASE_STAMP)
	$(BIN)/python benchmarks/heuristics.py

clean:
	rm -rf out build dist *.egg-info
