"""Shared fixtures: the tiny model is built once per session; the embedded one loads lazily."""

from __future__ import annotations

import os

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
