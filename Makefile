# One word for each common task. `make serve` and `make test` do all set-up themselves.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export HF_HUB_OFFLINE := 1

.PHONY: install browser index serve check test eval bench clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned: its CPU build is on this machine's disk; unpinned it pulls CUDA.
	$(PIP) install -c constraints.txt torch==2.13.0
	$(PIP) install -c constraints.txt -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

index: install
	$(BIN)/hsqa-build-index --if-stale

serve: index
	$(BIN)/hsqa-serve --host 127.0.0.1 --port 8000

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# Format, lint and types (settings in pyproject.toml); the test command runs it first.
check: install
	$(BIN)/ruff format --check service scripts tests
	$(BIN)/ruff check service scripts tests
	$(BIN)/mypy service

# axe-core (npm) for the accessibility checks in the browser tests.
AXE := .cache/axe/node_modules/axe-core/axe.min.js
$(AXE):
	npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@4.14.1

# PYTHONFAULTHANDLER: a crash in a native library (onnxruntime, faiss, torch, Ray) prints the
# Python stacks where it happened, even once the interpreter shuts down after the last test.
test: install browser $(AXE) check
	PYTHONFAULTHANDLER=1 $(BIN)/python -m pytest

eval: install
	$(BIN)/python scripts/evaluate.py --mode all --details

bench: install
	$(BIN)/python scripts/bench.py

clean:
	rm -rf $(VENV) index .cache .pytest_cache .hypothesis .ruff_cache .mypy_cache
