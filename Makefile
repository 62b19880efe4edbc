# `make quickstart` and `make test` are the README's two commands; .ci/run calls `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.thresher-installed

.PHONY: quickstart test test-fast bench clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,fasttext,clip,lm]'
	touch $(STAMP)

quickstart: $(STAMP)
	$(BIN)/thresher run recipes/quickstart.yaml

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/heuristics.py

clean:
	rm -rf out build dist *.egg-info
