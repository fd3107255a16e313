"""Shared fixtures: the tiny model is built once per session; the embedded one loads lazily;
the ``ci`` pipeline runs once per session for every test that reads what it wrote."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

# Two cores are shared by everything in a test run: keep torch from oversubscribing them.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny():
    from rcwork.models import load_model

    return load_model("tiny")


@pytest.fixture(scope="session")
def embedded():
    from rcwork.models import load_model

    return load_model("embedded")


# Debian's Chromium driven by playwright (its own browser download cannot work offline); the
# flags keep it from reaching for the network at start (docs: README, "Tests").
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for a module's browser tests (per module, as playwright's sync API
    and the notebooks' own event loops must not overlap)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]'")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("no `chromium` on PATH: `make test` installs it (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class PipelineRun:
    """One ``ci`` pipeline run: its folder, its report, the pipeline record, and the
    ``notebooks/`` folder's files (with their times) before and after the run."""
    run_dir: Path
    report: Path
    state: object
    lessons_before: dict[str, int]
    lessons_after: dict[str, int]


def _tree(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.fixture(scope="session")
def ci_pipeline(tmp_path_factory) -> PipelineRun:
    """The main job at the ``ci`` profile, every lesson under papermill, then the report: run
    once for the pipeline test and for the browser and reader tests that read its pages (each
    lesson executed as the pipeline executes it, instead of a second set of runs per module).
    Requested before a module's ``browser``: playwright's loop and the kernels' must not
    overlap."""
    from rcwork.paths import project_root
    from rcwork.pipeline import run_pipeline

    root = tmp_path_factory.mktemp("ci-pipeline")
    run_dir, report = root / "run", root / "report" / "index.html"
    before = _tree(project_root() / "notebooks")
    state = run_pipeline("ci", run_dir, report)
    return PipelineRun(run_dir, report, state, before, _tree(project_root() / "notebooks"))
