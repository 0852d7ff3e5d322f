# Two commands set up a fresh Debian/Ubuntu machine and run the project:
#   make demo   system packages, virtual environment, install; subtitles for the bundled sample
#   make test   the same set-up, then the whole test suite, ruff and mypy
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE := samples/scio-briefing-2021-05-31.en.txt
OUT ?= out
# Debian packages the project and its tests use: ffmpeg (audio decoding, real-client checks),
# espeak-ng (speech synthesis for aeneas and the sample audio), node + npm (W3C WebVTT parser).
APT_PACKAGES := python3 python3-venv python3-dev gcc ffmpeg espeak-ng libespeak-ng-libespeak-dev \
	nodejs npm
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system venv npm demo test lint bench goldens clean

setup: system venv npm

system:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

npm: tests/js/node_modules/.installed

tests/js/node_modules/.installed: tests/js/package.json tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
	touch $@

demo: setup
	mkdir -p $(OUT)
	$(BIN)/aligner make $(SAMPLE) --format srt,vtt,json -o $(OUT)
	@echo; echo "wrote:"; ls -l $(OUT); echo; head -n 12 $(OUT)/$$(basename $(SAMPLE) .txt).srt

test: setup lint
	$(BIN)/python -m pytest

lint:
	$(BIN)/ruff check aligner tests scripts
	$(BIN)/ruff format --check aligner tests scripts
	$(BIN)/mypy

bench: setup
	$(BIN)/python scripts/bench_make.py

goldens: setup
	$(BIN)/python scripts/regen_goldens.py

clean:
	rm -rf $(VENV) $(OUT) tests/js/node_modules
