"""06_reinforce under papermill with the tiny model: every step of the lesson runs.

The lesson is the one the session's ``ci`` pipeline executed (``conftest.ci_pipeline``): the
same notebook and parameters (the ``ci`` profile, the run folder's output path) this test once
ran a second time on its own."""

import nbformat
import pytest


@pytest.mark.slow
def test_06_reinforce_runs_under_papermill(ci_pipeline):
    out_dir = ci_pipeline.run_dir / "reinforce"
    # The ci profile: the tiny model, 2 GRPO steps of 2 completions, a 2-step warm-up.
    executed = ci_pipeline.state.stages["reinforce"]["notebook"]
    nb = nbformat.read(executed, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs)
    assert "well formed True, n = 1" in text and "trailing text: well formed False" in text
    assert "quality_reward: [1.5, 1.025, -0.5, 0.0]" in text
    assert "2 steps" in text and (out_dir / "metrics.json").exists()
    plotly = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})
              or "plotly" in str(o.get("data", {}).get("text/html", ""))]
    assert len(plotly) >= 2, "the reward curves and the histogram were not drawn"
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
