"""notebooks/01_synthesize.ipynb runs headless under papermill with tiny parameters."""

from __future__ import annotations

import json

import pytest

from rcwork.runs import run_notebook
from tests.helpers import easy_problems, write_problems

pytestmark = pytest.mark.slow

CI_PARAMETERS = dict(teacher_backend="transformers", teacher_model="tiny", num_problems=2,
                     max_rounds=2, workers=2, max_new_tokens=32, threads=1)


def test_01_synthesize_runs_under_papermill(tmp_path):
    problems = write_problems(tmp_path / "problems.jsonl", easy_problems(3))
    out = tmp_path / "synthesize"
    nb = run_notebook("01_synthesize", tmp_path / "executed",
                      {"profile": "ci", "config": {**CI_PARAMETERS, "problems": str(problems),
                                                   "output_dir": str(out)}},
                      timeout_s=600)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["records"] == 2  # garbage from the tiny model: filtered, but reported
    assert summary["filtered"] + summary["kept"] == 2
    text = nb.read_text()
    assert "filtered by reason" in text and "rounds per sequence" in text
    assert "application/vnd.plotly" in text or "plotly" in text
