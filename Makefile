# Two entry points (README, "Quick start"): `make dataset` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: dataset server test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-server: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[server]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-server

dataset: $(VENV)/.installed
	$(BIN)/stance-corpus segment seeds --summary
	$(BIN)/stance-corpus release
	$(BIN)/stance-corpus baseline

# The Label Studio server that `stance-corpus annotate` starts on this machine (not needed for a team server).
server: $(VENV)/.installed-server

test: $(VENV)/.installed-test
	scripts/install-system-deps.sh
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build *.egg-info
