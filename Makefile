# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast lint bench clean system-packages lock

# The whole dependency tree comes from the lock (exact versions, hashes checked); the
# project itself is then installed without resolving anything.
$(BIN)/.installed: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# Refresh requirements.lock and requirements-dev.lock from pyproject.toml (network).
lock:
	scripts/lock

run: $(BIN)/.installed
	$(BIN)/autopkg serve --host $(HOST) --port $(PORT)

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# Debian packages the tests need (PostGIS for the running PostgreSQL, redis-server).
system-packages:
	scripts/install-system-packages

# The tests run on three workers (pytest-xdist) on a 2-core machine: about half of a
# test's time is spent waiting on the processes it drives (servers, workers, Chromium,
# PostgreSQL), so a third worker fills the cores where two leave them idle (measured in
# benchmarks/RESULTS.md, "The test suite"). A module's tests stay on one worker, so the
# servers a module starts once are started once (--dist loadscope), in xdist's own
# order (RESULTS.md says which other order was tried, and why it was not kept).
PYTEST_PARALLEL := -n 3 --dist loadscope

test: $(BIN)/.installed system-packages
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_PARALLEL)

# The unit and API layers only (tests/unit, tests/api): no real server processes, no browser.
test-fast: $(BIN)/.installed system-packages
	$(BIN)/pytest $(PYTEST_PARALLEL) -m "unit or api"

# Benchmarks (not part of `make test`): inputs are generated once into benchmarks/.cache.
bench: $(BIN)/.installed
	command -v gdalwarp >/dev/null && command -v wrk >/dev/null && test -x /usr/sbin/nginx \
		|| apt-get install -y --no-install-recommends gdal-bin wrk nginx-light \
		|| (apt-get update && apt-get install -y --no-install-recommends gdal-bin wrk nginx-light)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache
