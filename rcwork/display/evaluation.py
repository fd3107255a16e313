"""Lesson 05's pictures and the report's evaluation section: per-problem bars, the verdict grid of
two runs, and what flipped.
"""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go

from rcwork.display.html import html_table
from rcwork.evaluation.paired import compare_paired
from rcwork.stage_files import EvaluationResults, evaluation_runs


STATUS_COLORS = {"passed": "#2ca02c", "failed": "#d62728", "error": "#ff7f0e",
                 "timeout": "#9467bd"}


def problem_bars(results: EvaluationResults, title: str | None = None) -> go.Figure:
    """One bar per problem: tokens generated (mean over its samples), coloured by the verdict
    of its first sample; hover shows the failing assert or the error."""
    rows = list(results.problems.items())
    fig = go.Figure()
    for status, color in STATUS_COLORS.items():
        sel = [(t, r) for t, r in rows if r.status == status]
        if not sel:
            continue
        fig.add_trace(go.Bar(
            x=[t for t, _ in sel], y=[r.n_tokens or 0 for _, r in sel],
            name=f"{status} ({len(sel)})", marker_color=color,
            customdata=[(r.detail or status)[:160] for _, r in sel],
            hovertemplate="%{x}<br>%{customdata}<br>%{y} tokens<extra></extra>"))
    passk = ", ".join(f"{k} = {v:.3f}" for k, v in results.pass_at_k.items())
    fig.update_layout(title=title or f"{results.benchmark}: {passk}",
                      xaxis_title="problem", yaxis_title="tokens generated", barmode="overlay",
                      xaxis={"categoryorder": "array", "categoryarray": [t for t, _ in rows]},
                      height=420)
    return fig


def uniform_verdict(runs: dict[str, EvaluationResults]) -> bool | None:
    """``True`` when every problem passed in every run, ``False`` when none passed anywhere,
    ``None`` when the verdicts differ (only then does a verdict grid show anything).  No
    problems at all counts as none passed."""
    verdicts = {p.passed for r in runs.values() for p in r.problems.values()}
    return None if len(verdicts) > 1 else next(iter(verdicts), False)


def verdict_grid(runs: dict[str, EvaluationResults], title: str = "per-problem verdict"
                 ) -> go.Figure:
    """Runs × problems, green where the problem's first sample passed.

    When every cell would be one colour the title says so in words (``all 20 problems failed
    in every run``): a single-coloured slab is easily misread.  The report skips the figure
    then (:func:`uniform_verdict`); a lesson that shows it still reads right.
    """
    names = list(runs)
    task_ids: list[str] = []
    for r in runs.values():
        task_ids += [t for t in r.problems if t not in task_ids]
    z = [[None if t not in runs[n].problems else int(runs[n].problems[t].passed)
          for t in task_ids] for n in names]
    fig = go.Figure(go.Heatmap(z=z, x=task_ids, y=names, zmin=0, zmax=1, showscale=False,
                               colorscale=[[0, "#e9b3b3"], [1, "#9fd39f"]],
                               hovertemplate="%{x} · %{y}: %{z}<extra></extra>"))
    same = uniform_verdict(runs)
    if same is not None:
        where = "the run" if len(names) == 1 else "every run"
        title = (f"{title}: all {len(task_ids)} problems "
                 f"{'passed' if same else 'failed'} in {where}")
    fig.update_layout(title=title, height=160 + 40 * len(names), xaxis_showticklabels=False)
    return fig


def evaluation_section(d: Path) -> list[str | go.Figure]:
    """Evaluation: every ``results.json`` under ``d``, side by side, with the flips."""
    parts: list[str | go.Figure] = ["<h2>3 · Evaluation (pass@k, sandboxed execution)</h2>"]
    runs = evaluation_runs(d)
    if not runs:
        return parts + [f'<p class="missing">no results under {html.escape(str(d))}: '
                        "stage not run</p>"]
    rows = []
    for name, r in runs.items():
        hit = r.hit_length
        rows.append([name, r.benchmark, (r.generation or {}).get("prompt_style", ""),
                     r.n_problems, r.pass_at_1, r.status_counts.get("passed"),
                     r.tokens.get("mean_per_sample"),
                     "" if hit is None else f"{hit} / {r.n_samples}"])
    parts.append("<p>" + "; ".join(f"{html.escape(name)}: {passed_line(r)}"
                                   for name, r in runs.items()) + ".</p>")
    parts.append(html_table(rows, ["run", "benchmark", "prompt style", "problems", "pass@1",
                               "passed samples", "tokens / sample", "hit max_new_tokens"]))
    same = uniform_verdict(runs)
    if same is None:
        parts.append(verdict_grid(runs, title="per-problem verdict"))
    else:  # one colour would say nothing the sentence above does not
        where = "the run" if len(runs) == 1 else ("every run" if same else "any run")
        parts.append(f"<p class='note'>No per-problem picture: "
                     f"{'every problem passed' if same else 'no problem passed'} in "
                     f"{where}.</p>")
    for name, r in runs.items():
        if r.flips:
            parts.append(_paired_part(name, r, runs) + _flips_part(name, r, runs))
    return parts


def _paired_part(name: str, r: EvaluationResults, runs: dict[str, EvaluationResults]) -> str:
    """The paired comparison with the run ``r`` was compared to, when it is in this folder."""
    other = Path(r.compared_to or "").parent.name
    if other not in runs:
        return ""
    return f"<p>{html.escape(compare_paired(runs[other], r).sentence(other, name))}.</p>"


def passed_line(r: EvaluationResults) -> str:
    """``"3 of 20 problems passed"`` (by each problem's first sample, as the verdict grid)."""
    passed = sum(p.passed for p in r.problems.values())
    return f"{passed} of {len(r.problems)} problem{'' if len(r.problems) == 1 else 's'} passed"


def _flips_part(name: str, r: EvaluationResults, runs: dict[str, EvaluationResults]) -> str:
    """Which problems changed verdict against the compared run: a table when some did, one
    sentence when none did (never a list introduced by a colon with nothing after it)."""
    other = r.compared_to or "the other run"
    sibling = Path(other).parent.name if r.compared_to else ""
    label = (f"{html.escape(sibling)} ({html.escape(other)})" if sibling in runs
             else html.escape(other))
    changed = ([[t, "fixed"] for t in r.flips.get("fixed", [])]
               + [[t, "broken"] for t in r.flips.get("broken", [])])
    if not changed:
        return f"<p>{html.escape(name)}: no problem changed verdict against {label}.</p>"
    n = len(changed)
    return (f"<p>{html.escape(name)}: {n} problem{'' if n == 1 else 's'} changed verdict "
            f"against {label}:</p>" + html_table(changed, ["task", "change"]))
