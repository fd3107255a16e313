"""The ReflexiCoder section of a run's report, from the files ``reinforce`` wrote.

:func:`section` returns the section as an ordered list of HTML fragments and plotly figures, so
the report page can add each in turn (figures through its own plotly.js handling).  Every number
comes from ``metrics.json`` and the ``heldout_*.jsonl`` files.
"""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go

from rcwork.reflexi.plots import heldout_rows, reflection_histogram, reward_curves
from rcwork.report import MATH
from rcwork.stage_files import ReinforceMetrics
from rcwork.views import html_table

TITLE = "ReflexiCoder · GRPO over think → answer → reflection trajectories"


def reward_formula(weights: list[float] | None) -> str:
    """The reward GRPO maximised, with the run's weights, as a formula (the report typesets
    it with MathJax, as lesson 06 shows it): format F, cycle regulation P, iterative quality R,
    efficiency E (docs/reflexicoder.md).  ``None`` weights are TRL's: all 1."""
    terms = [sym if float(w) == 1 else f"{float(w):g}\\,{sym}"
             for w, sym in zip(weights or [1.0, 1.0, 1.0], ("F", "P \\cdot R", "P \\cdot E"))]
    return ("<p>Each completion's reward (format F, cycle regulation P, iterative quality R, "
            f"efficiency E):</p><div class='{MATH}'>$$r = {' + '.join(terms)}$$</div>")


def section(run_dir: str | Path) -> list[str | go.Figure]:
    """The section for the reinforce output folder ``run_dir`` (its ``metrics.json``).

    A folder without metrics.json yields a heading and a note that the stage has not run.
    """
    from rcwork.reflexi.evaluate import read_results
    from rcwork.reflexi.viewer import trajectory_html

    run_dir = Path(run_dir)
    parts: list[str | go.Figure] = [f"<h2>{html.escape(TITLE)}</h2>"]
    m = ReinforceMetrics.read_if_exists(run_dir)
    if m is None:
        path = ReinforceMetrics.path_in(run_dir)
        return parts + [f'<p class="missing">no {html.escape(str(path))}: stage not run</p>']
    s = m.settings
    warm = m.warmup
    step_time = f"  Mean step time {m.step_time_s:.1f} s." if m.step_time_s else ""
    parts.append(
        f"<p>{html.escape(m.model)} on {m.train_problems} training problems, "
        f"{len(m.heldout_problems)} held out; {m.steps} GRPO steps, "
        f"{s['num_generations']} completions per prompt, ≤ {s['max_completion_length']} tokens, "
        f"β {s['beta']}, lr {s['learning_rate']}, reward weights {s['reward_weights']}.  "
        + (f"Format warm-up (rcwork's addition): {warm['steps']} SFT steps on "
           f"{warm['records']['kept']} converted records." if warm else
           "No format warm-up (the authors' configuration).")
        + step_time + "</p>")
    parts.append(reward_formula(s["reward_weights"]))
    parts.append(reward_curves(m.curves))
    header, rows = heldout_rows(m.heldout)
    if len(header) > 1:
        parts.append("<p>Held-out problems, one greedy completion each (pass@1 judges the "
                     "final answer; strict credits well-formed trajectories only):</p>"
                     + html_table(rows, header, missing="—"))
        parts.append(reflection_histogram(m.heldout))
    trained = run_dir / "heldout_trained.jsonl"
    if trained.exists():
        results = read_results(trained)
        shown = next((r for r in results if r.well_formed), results[0] if results else None)
        if shown is not None:
            parts.append(f"<p>A held-out completion after training ({html.escape(shown.task_id)}"
                         f", {'passed' if shown.passed else 'failed'}):</p>"
                         + trajectory_html(shown.text, shown.answer_scores))
    return parts
