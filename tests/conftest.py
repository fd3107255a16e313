"""Shared fixtures: the tiny model is built once per session; the embedded one loads lazily."""

from __future__ import annotations

import os
import shutil

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
