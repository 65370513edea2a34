# Two commands for a newcomer (see README):
#   make demo   - set up .venv, run a dispatch lookup and write a map on the Durham data
#   make test   - set up .venv (with test tools and headless Chromium) and run the whole test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The data folder comes from the area file ([area] data_dir: ../shared/data/durham for Durham,
# ../shared/data/portland for --area portland); set GEO_HEART_DATA to use another copy.

.PHONY: setup setup-test chromium qgis demo test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

setup: $(BIN)/python
	$(BIN)/pip install -q -e ".[all]"

setup-test: $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"

# Headless Chromium for the browser tests only (a Debian package; needs root or sudo). The maps and
# the service need no system package: Leaflet and Swagger UI come from pip dependencies.
chromium:
	@command -v chromium >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null \
	    || echo "chromium could not be installed: browser tests will be skipped"; }

# Headless QGIS for the QGIS plugin and project tests only (Debian's qgis and python3-qgis, large;
# best-effort: the tests skip without it). geo-heart itself never needs QGIS.
qgis:
	@command -v qgis_process.bin >/dev/null 2>&1 && /usr/bin/python3 -c "import qgis.core" >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq qgis python3-qgis >/dev/null \
	    || echo "QGIS could not be installed: QGIS tests will be skipped"; }

demo: setup
	$(BIN)/geo-heart lookup "200 PACIFIC AVE" --call-type "CRT - TRESPASS" --at 2024-06-01T11:00
	$(BIN)/geo-heart lookup --lon -78.8898 --lat 35.9892 --call-type "MENTAL HE" --at 2024-06-03T10:00
	$(BIN)/geo-heart map
	@echo "Maps and the planner report are in maps/"

test: setup-test chromium qgis
	$(BIN)/ruff check geo_heart tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

bench: setup-test
	$(BIN)/python benchmarks/bench_assign.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .import_linter_cache
