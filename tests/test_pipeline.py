"""The main job end to end on the tiny model: every lesson under papermill, then the report."""

import json
import re

import pytest

from rcwork.pipeline import STAGES, run_pipeline
from rcwork.stages import read_profile


@pytest.mark.slow
def test_ci_pipeline_runs_every_stage_and_writes_the_report(ci_pipeline):
    """Every lesson runs as JupyterLab runs it (the kernel in notebooks/), with the profile's
    settings and the run folder's paths only; nothing lands under notebooks/."""
    run_dir, report, state = ci_pipeline.run_dir, ci_pipeline.report, ci_pipeline.state
    assert ci_pipeline.lessons_after == ci_pipeline.lessons_before, \
        "a lesson wrote under notebooks/"
    ci = read_profile("ci")
    assert [s for s in state.stages] == [s.name for s in STAGES]
    assert all(s["status"] == "done" for s in state.stages.values())
    assert (run_dir / "synthesize" / "summary.json").exists()
    metrics = json.loads((run_dir / "distill" / "metrics.json").read_text())
    assert metrics["steps"] == ci["distill"]["max_steps"]
    for name in ("base", "distilled"):
        results = json.loads((run_dir / "evaluate" / name / "results.json").read_text())
        assert results["n_problems"] == ci["evaluate"]["limit"]
    page = report.read_text()
    text = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", page, flags=re.S)
    assert "Synthesis of reflection sequences" in text and "stage not run" not in text
    assert "Held-out records" in text and "pass@1" in text
    assert "Sweep" in text and "ReflexiCoder" in text
    assert text.index("What this run answered") < text.index("Synthesis of reflection")
    assert "self-distillation vs NTP on the same reflection data" in text
    assert "hit max_new_tokens" in text
    sweep_rows = [json.loads(line) for line in
                  (run_dir / "sweep" / "registry.jsonl").read_text().splitlines()]
    assert len(sweep_rows) == 3  # two curves sharing their default point
    # every point measured on the larger held-out sets too, and the answers say so
    assert all(r["problems_units"] and r["humaneval_units"] == 11 for r in sweep_rows)
    assert "held-out rcwork problems" in text
    assert "HumanEval canonical solutions" in text and "Paired differences" in page
    assert "Does the GRPO trajectory help?" in text and "trained − base" in text
    assert (run_dir / "reinforce" / "metrics.json").exists()
    assert page.count("plotly.js v") <= 2  # plotly.js inlined once (its banner may repeat)
    notebooks = sorted((report.parent / "notebooks").glob("*.html"))
    assert len(notebooks) == sum(s.notebook is not None for s in STAGES)

    # A rerun skips the finished stages and only rebuilds the report.
    again = run_pipeline("ci", run_dir, report)
    assert again.stages == state.stages
    with pytest.raises(ValueError, match="holds a 'ci' run"):
        run_pipeline("demo", run_dir)
