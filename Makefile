# Two commands for a newcomer: `make run` and `make test`. Both bootstrap .venv themselves.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint demo clean bench playground migration

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Resonanz needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/resonanz serve

demo: $(STAMP)
	$(BIN)/python -m devtools.demo

# Optional: the bot and the Microsoft 365 Agents Playground (a Teams-like chat in the browser)
# connected to it, on 127.0.0.1. Needs Node.js and npm; runs `npm ci` when the Playground is
# missing. `make playground PLAYGROUND_ARGS="--port 3979 --playground-port 56151"` for other ports.
playground: $(STAMP)
	$(BIN)/python -m devtools.playground $(PLAYGROUND_ARGS)

# The next schema revision, written from what the models (storage/tables.py) have that the newest
# revision lacks: `make migration MESSAGE="poll colour"`; review it, then `make test`.
migration: $(STAMP)
	@test -n "$(MESSAGE)" || { echo 'say what changes: make migration MESSAGE="poll colour"'; exit 1; }
	$(BIN)/python -m devtools.new_migration "$(MESSAGE)"

test: $(STAMP) lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# lint-imports checks the import contracts in .importlinter (layers, independent features,
# botbuilder only at the Teams boundary).
lint: $(STAMP)
	$(BIN)/ruff check bot devtools facilitation storage tests
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

# Benchmarks A-G (see docs/PERFORMANCE.md): endpoint load against a stock bot (A-C), a town hall
# of 10,000 voters and an upvote storm (D-E), the summary of a 1,000-person meeting (F), the
# breakout engine for 1,000 people (G). `make bench BENCH_ARGS=--quick` for small sizes.
bench: $(STAMP)
	$(BIN)/python -m bench.load $(BENCH_ARGS)
	$(BIN)/python -m bench.townhall $(BENCH_ARGS)
	$(BIN)/python -m bench.summary $(BENCH_ARGS)
	$(BIN)/python -m bench.breakouts $(BENCH_ARGS)
