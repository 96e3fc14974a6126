# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1

.PHONY: run test test-fast venv index bench eval parsebench lint clean ray

# torch goes first and pinned: the pin takes the CPU build on this machine, whereas letting
# sentence-transformers pull an unpinned torch downloads a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

# Builds the index when it is missing or stale; does nothing when it is current.
index: venv
	$(VENV)/bin/assistant build

run: index
	$(PY) app.py

test: index
	$(PY) -m pytest

# The edit loop: everything but the slow tests (subprocesses, load, killed builds, browsers), ~1 minute.
test-fast: index
	$(PY) -m pytest -m "not slow and not browser" -q

# The Ray extra: `assistant build --ray` and `assistant eval --ray` (README, "Scaling out (Ray)").
ray: venv
	$(PY) -m pip install --quiet -e '.[ray]'

# Every benchmark in one run -> benchmarks/RESULTS.md; `make bench ONLY="coldstart load"` runs just those
# steps (in one run too) -> benchmarks/out/RESULTS-only.md.
bench: index
	$(PY) -m benchmarks.run $(if $(ONLY),--only $(ONLY))

# The README's evaluation figures: the default configuration beside the plain dense baseline.
# StackFAQ's index is built under .cache/index/ on first use (a few minutes), never in index/.
eval: venv
	$(VENV)/bin/assistant eval eval/azure_dev_questions.jsonl --compare default dense
	$(VENV)/bin/assistant eval eval/azure_dev_followups.jsonl --compare default dense
	$(VENV)/bin/assistant eval eval/stackfaq/queries.jsonl --corpus eval/stackfaq/faq.jsonl --compare default dense
	$(VENV)/bin/assistant eval eval/azure_extra_questions.jsonl --compare default dense

# The parser on the real FAQ files of benchmarks/data/parsebench (hand-written gold entry lists; its
# README lists them); SPLIT=hidden: only the files no rule was written for, SPLIT=dev: the others.
parsebench: venv
	$(PY) benchmarks/data/parsebench/score.py $(if $(SPLIT),--split $(SPLIT))

# ruff everywhere; mypy on the public API (the files are listed in pyproject.toml).
lint: venv
	$(VENV)/bin/ruff check assistant tests app.py benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) index .cache .pytest_cache test-output
