# Two commands set up a fresh Debian/Ubuntu machine and run the project:
#   make demo   system packages, virtual environment, install; subtitles for the bundled sample
#   make test   the same set-up, then the whole test suite, ruff and mypy
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE := samples/scio-briefing-2021-05-31.en.txt
EXCERPT := samples/scio-briefing-2021-05-31.excerpt.en
OUT ?= out

.PHONY: setup system venv npm demo test lint bench bench-align bench-batch goldens clean

setup: system venv npm

system:
	PYTHON=$(PYTHON) scripts/install_system_packages.sh

venv: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml setup.py aligner/_kernels.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "numpy<2" setuptools wheel
	# aeneas imports numpy in its build: without --no-build-isolation pip cannot build it.
	$(BIN)/pip install -q --no-build-isolation aeneas==1.7.3.0
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python -m aeneas.diagnostics
	touch $@

npm: tests/js/node_modules/.installed

tests/js/node_modules/.installed: tests/js/package.json tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
	touch $@

demo: setup
	mkdir -p $(OUT)
	# the whole briefing, timed at a natural speaking rate (no recording)
	$(BIN)/aligner make $(SAMPLE) --format srt,vtt,json -o $(OUT)
	# three minutes of it, synced to the bundled recording
	$(BIN)/aligner make $(EXCERPT).txt --audio $(EXCERPT).mp3 --format srt,vtt,json -o $(OUT)
	@echo; echo "wrote:"; ls -l $(OUT); echo; head -n 12 $(OUT)/$$(basename $(EXCERPT)).srt

test: setup lint
	$(BIN)/python -m pytest

lint:
	$(BIN)/ruff check aligner tests scripts
	$(BIN)/ruff format --check aligner tests scripts
	$(BIN)/mypy

bench: setup
	$(BIN)/python scripts/bench_make.py

bench-align: setup
	$(BIN)/python scripts/bench_align.py

bench-batch: setup
	$(BIN)/python scripts/bench_batch.py

goldens: setup
	$(BIN)/python scripts/regen_goldens.py

clean:
	rm -rf $(VENV) $(OUT) tests/js/node_modules build aligner/_kernels*.so
