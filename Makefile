# Two entry points (see README): `make run` and `make test`. Everything else is a step of them.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install browser run test test-fast lint ingest serve bench bench-cluster loadtest clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# pinned CPU build first: an unpinned torch would pull a multi-GB CUDA build
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[test,cluster]"
	touch $@

install: $(VENV)/.installed

ingest: install
	$(VENV)/bin/rag ingest seeds/

serve: install
	$(VENV)/bin/rag serve

run: ingest serve

# the chat page's browser test drives Debian's chromium (Playwright's own browser download is not used)
browser:
	@test -x /usr/bin/chromium || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium; }

# everything CI checks: the linters, then every test (unit and integration)
test: install browser lint
	$(PY) -m pytest -q

# the unit tests alone (small fixtures, no model, server, browser or cluster): seconds
test-fast: install
	$(PY) -m pytest -q tests/unit

# ruff (lint and format) over the tree, mypy over the product's packages (settings in pyproject.toml)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# 50 clients for 60 s against a real `rag serve` over the seed index, on loopback; fails on any
# error or on server memory growth past a bound (figures in README, Reliability)
loadtest: install
	$(PY) -m bench.loadtest --clients 50 --seconds 60

# the Haystack peer lives in its own venv, never in the product's; a failed install is reported by the bench
PEER_VENV := bench/.venv-peer
$(PEER_VENV)/.installed: bench/peer-requirements.txt
	python3 -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install --quiet torch==2.13.0
	$(PEER_VENV)/bin/pip install --quiet -r bench/peer-requirements.txt && touch $@ || echo "peer install failed"

# every figure of the Performance section: table on stdout, bench/out/results.{json,md}, bench/out/bench.png
bench: install $(PEER_VENV)/.installed
	$(PY) -m bench.run $(BENCH_ARGS)

# plain vs `--ray local` on this machine: ingest chunks/s, answers/s with 1 and 2 Serve replicas (docs/scale.md)
bench-cluster: install
	$(PY) -m bench.cluster $(BENCH_ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache
