# Hotro: `make run` starts the whole suite, `make test` runs every test. Nothing else is needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test test-unit lint format bench eval clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python -m tools.run

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

test-unit: install
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit

lint: install
	$(BIN)/ruff check libs services tools tests bench
	$(BIN)/ruff format --check libs services tools tests bench
	$(BIN)/mypy libs services/*/domain

format: install
	$(BIN)/ruff check --fix libs services tools tests bench
	$(BIN)/ruff format libs services tools tests bench

bench: install
	$(BIN)/python -m bench.submit
	$(BIN)/python -m bench.routing
	$(BIN)/python -m bench.mail

eval: install
	$(BIN)/python -m services.routing.evaluate

clean:
	rm -rf .hotro/test
