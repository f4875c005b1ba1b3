# Two entry points (README, "Quick start"): `make dataset` and `make test` (`make lint` and `make typecheck` are
# parts of it). Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: dataset server test lint typecheck clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-server: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[server]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-server

dataset: $(VENV)/.installed
	$(BIN)/stance-corpus segment seeds --summary
	$(BIN)/stance-corpus release
	$(BIN)/stance-corpus baseline

# The Label Studio server that `stance-corpus annotate` starts on this machine (not needed for a team server).
server: $(VENV)/.installed-server

test: lint typecheck
	scripts/install-system-deps.sh
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

# mypy cannot follow setuptools' editable finder for the package-dir mapping (pyproject.toml): it checks a tree of
# links laid out as the package installs, build/typecheck/stance_corpus/{*.py,corpus,labeling,baselines,pool}.
TYPECHECK_TREE := build/typecheck/stance_corpus

typecheck: $(VENV)/.installed-test
	rm -rf $(TYPECHECK_TREE)
	mkdir -p $(TYPECHECK_TREE)
	ln -s $(CURDIR)/stance_corpus/*.py $(CURDIR)/stance_corpus/py.typed $(TYPECHECK_TREE)/
	ln -s $(CURDIR)/corpus $(CURDIR)/labeling $(CURDIR)/baselines $(CURDIR)/pool $(TYPECHECK_TREE)/
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info
