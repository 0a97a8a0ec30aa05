# Two entry points (see README): `make demo` and `make test`. Each sets up .venv from pyproject.toml first.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
DEPS := pyproject.toml

.PHONY: demo test lint bench clean dist-check typecheck docs

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# The demo's default run (ballot on sg-bto) writes an HTML report: the [report] extra.
$(VENV)/.run-installed: $(DEPS) | $(PY)
	$(PY) -m pip install -q -e '.[report]'
	touch $@

$(VENV)/.test-installed: $(DEPS) | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	touch $(VENV)/.run-installed $@

demo: $(VENV)/.run-installed
	$(VENV)/bin/commonground demo --out out/demo

test: $(VENV)/.test-installed
	bash .ci/setup-system.sh
	$(VENV)/bin/ruff check src tests benchmarks examples
	$(VENV)/bin/mypy
	$(MAKE) docs
	$(VENV)/bin/pytest -q -p no:cacheprovider --doctest-modules src/commonground --ignore=src/commonground/service/migrations
	$(VENV)/bin/pytest

# Wheel + sdist built and checked; the plain wheel installed in a fresh venv runs `commonground demo`.
dist-check: $(VENV)/.test-installed
	PY=$(PY) bash .ci/check_dist.sh

# The documentation site (mkdocs.yml: docs/ and the docstrings), warnings are errors.
docs: $(VENV)/.test-installed
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build  # not -q: quiet mode hides warnings from --strict

typecheck: $(VENV)/.test-installed
	$(VENV)/bin/mypy

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check src tests benchmarks examples

bench: $(VENV)/.test-installed
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache
