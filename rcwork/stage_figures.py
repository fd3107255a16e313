"""Figures of the stages' output files, drawn once for the notebooks and the HTML report alike.

Each function takes a stage file's typed view (:mod:`rcwork.stage_files`: ``metrics.json`` of
distillation, ``results.json`` of evaluation, ``summary.json`` of synthesis) and returns a plain
``go.Figure``, which renders offline in JupyterLab and in a static page.
"""

from __future__ import annotations

import plotly.graph_objects as go

from rcwork.stage_files import DistillMetrics, EvaluationResults, SynthesisSummary

TERMS = (("loss", "total"), ("ntp", "NTP (teacher)"),
         ("student_ntp", "NTP (student, final answer)"), ("kl", "KL(teacher‖student)"))
STATUS_COLORS = {"passed": "#2ca02c", "failed": "#d62728", "error": "#ff7f0e",
                 "timeout": "#9467bd"}


def distill_curves(metrics: DistillMetrics, title: str = "training losses") -> go.Figure:
    """The loss and its three terms per step, the mask rate on a second axis, and the held-out
    NLL(final | instruction) where it was measured during training."""
    curves = metrics.curves
    fig = go.Figure()
    for key, name in TERMS:
        if any(v is not None for v in curves.get(key, [])):
            fig.add_trace(go.Scatter(x=curves["step"], y=curves[key], name=name, mode="lines"))
    if any(v is not None for v in curves.get("mask_rate", [])):
        fig.add_trace(go.Scatter(x=curves["step"], y=curves["mask_rate"], name="mask rate",
                                 yaxis="y2", line=dict(dash="dot")))
    held = curves.get("heldout", {})
    if held.get("step") and held.get("nll_final_given_instruction"):
        fig.add_trace(go.Scatter(x=held["step"], y=held["nll_final_given_instruction"],
                                 name="held-out NLL(final | instruction)", mode="lines+markers"))
    fig.update_layout(title=title, xaxis_title="step", yaxis_title="loss", height=400,
                      yaxis2=dict(overlaying="y", side="right", range=[0, 1.05],
                                  title="mask rate"))
    return fig


def synthesis_figures(summary: SynthesisSummary) -> list[go.Figure]:
    """Kept records and filtered ones by reason (a record can have several), and rounds per
    sequence for all records and for the kept ones."""
    reasons = summary.filter_reasons
    a = go.Figure(go.Bar(x=["kept", *reasons], y=[summary.kept, *reasons.values()],
                         marker_color=["seagreen"] + ["indianred"] * len(reasons)))
    a.update_layout(title=f"{summary.records} records: kept, and filtered by reason",
                    yaxis_title="records", height=350)
    hist, kept_hist = summary.rounds_histogram, summary.rounds_histogram_kept
    rounds = sorted({*map(int, hist), *map(int, kept_hist)})
    b = go.Figure([go.Bar(name="all", x=rounds, y=[hist.get(str(r), 0) for r in rounds]),
                   go.Bar(name="kept", x=rounds, y=[kept_hist.get(str(r), 0) for r in rounds])])
    b.update_layout(title="rounds per sequence", xaxis_title="rounds", yaxis_title="records",
                    barmode="group", height=350)
    return [a, b]


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
