# Hotro: `make run` starts the whole suite, `make test` runs every test. Nothing else is needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# End-to-end modules mostly wait on processes (readiness, group joins, SLA scans): three
# workers keep two cores busy; four ran no faster and made timings flakier under the load.
TEST_WORKERS ?= 3

.PHONY: install run test test-unit lint format bench eval clean backup restore chaos

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python -m tools.run

# A consistent pg_dump and the state folder's keys, also while `make run` runs (tools/backup.py).
backup: install
	$(BIN)/python -m tools.backup create

# Into a fresh state folder only; REPLACE=1 puts the present database and keys aside first.
restore: install
	@test -n "$(FILE)" || { echo 'usage: make restore FILE=.hotro/backups/hotro-….tar.gz [REPLACE=1]' >&2; exit 2; }
	$(BIN)/python -m tools.backup restore '$(FILE)' $(if $(REPLACE),--replace-existing)

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile tests

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
	$(BIN)/python -m bench.monitoring
	$(BIN)/python -m bench.knowledge
	$(BIN)/python -m bench.reporting

# Chaos under load (issue 17): 24 SIGKILLs, broker and PostgreSQL restarts, figures at the end.
chaos: install
	$(BIN)/python -m tools.chaos --kills 24 --duration 300

eval: install
	$(BIN)/python -m services.routing.evaluate

clean:
	rm -rf .hotro/test
