# salon — two commands: `make dev` runs everything, `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")

.PHONY: dev test lint bench e2e sync uv migrate format clean

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

sync: uv
	@$(UV) sync --frozen --quiet

dev: sync
	$(UV) run --frozen salon dev

test: sync
	$(UV) run --frozen pytest

# Browser tests of the web client (tests_e2e/): headless Debian chromium driven by Playwright; screenshots go to
# tests_e2e/artifacts/. Needs `chromium` on PATH (apt-get install -y chromium) or SALON_E2E_CHROMIUM.
e2e: sync
	$(UV) run --frozen pytest tests_e2e

lint: sync
	$(UV) run --frozen ruff check src tests tests_e2e benchmarks
	$(UV) run --frozen ruff format --check src tests tests_e2e benchmarks
	$(UV) run --frozen mypy

format: sync
	$(UV) run --frozen ruff format src tests tests_e2e benchmarks
	$(UV) run --frozen ruff check --fix src tests tests_e2e benchmarks

migrate: sync
	$(UV) run --frozen salon migrate

bench: sync
	$(UV) run --frozen python benchmarks/run.py

clean:
	rm -rf .salon .venv
