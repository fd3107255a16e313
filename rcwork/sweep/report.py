"""The sweep's report section: curves with intervals, the paper beside them, training curves.

Built from the sweep folder only: ``registry.jsonl`` (which points finished, their settings
and curves) and each run folder's ``heldout_records.json`` (per-record held-out NLL),
``results.json`` (per-problem pass@1) and ``metrics.json`` (training curves).  :func:`section`
returns HTML fragments and plotly figures in page order, for :mod:`rcwork.report` to place.

The metric is pass@1 where every point of a curve was evaluated, else held-out
NLL(final answer | instruction) (what moves on a CPU, where a 135M model's pass@1 is a few
percent).  Each point carries a 95% bootstrap interval over held-out records or problems, and
over seeds when it ran under several; each point is compared to its curve's reference point
(the one the curves share, else the first) with a paired bootstrap of the difference, and the
report says which differences are inside the noise.  The paper's numbers
(:mod:`rcwork.sweep.paper`) sit in their own panel: another model, another metric.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rcwork.sweep import paper
from rcwork.bootstrap import (Interval, Units, difference, difference_p, holm, interval,
                              permutation_test)
from rcwork.stage_files import DistillMetrics, EvaluationResults, read_json
from rcwork.sweep.registry import EXTRA_SETS, heldout_units, problem_units, read_registry
from rcwork.display.html import html_table

AXES = ("upsample_k", "order", "strategy", "ablation")
TERMS = ("loss", "ntp", "student_ntp", "kl", "mask_rate")
FEW_UNITS = 10  # below this, a percentile bootstrap is too optimistic to lean on
BENCH_COLORS = ("#1f77b4", "#aec7e8", "#d62728", "#ff9896")


@dataclass
class Metric:
    key: str  # "pass_at_1" or "nll"
    label: str
    higher_is_better: bool

    def units(self, sweep_dir: Path, row: dict[str, Any]) -> Units:
        run = sweep_dir / row["run"]
        if self.key == "pass_at_1":
            return problem_units(EvaluationResults.read(run))
        held = read_json(run / "heldout_records.json")
        return heldout_units(held["after"])

    def scale(self, v: float) -> float:
        return 100 * v if self.key == "pass_at_1" else v


PASS = Metric("pass_at_1", "pass@1 (%)", True)
NLL = Metric("nll", "held-out NLL(final | instruction), nats/token", False)


@dataclass
class CurvePoint:
    label: str
    rows: list[dict[str, Any]]  # one per seed
    units: list[Units]
    ci: Interval


def section(sweep_dir: str | Path, title: str | None = None) -> list[str | go.Figure]:
    """The report section of the sweep in ``sweep_dir``, in page order: HTML fragments (an
    ``<h2>`` with ``title``, default "Sweep · <folder name>", then ``<h3>`` per curve) and
    plotly figures."""
    sweep_dir = Path(sweep_dir)
    rows = read_registry(sweep_dir)
    heading = title or f"Sweep · {sweep_dir.name}"
    parts: list[str | go.Figure] = [f"<h2>{html.escape(heading)}</h2>"]
    if not rows:
        return parts + [f'<p class="missing">no finished points in {html.escape(str(sweep_dir))}'
                        " (registry.jsonl is empty or missing): sweep not run</p>"]
    commits = sorted({f"{r.get('commit', '')[:10]}{'+dirty' if r.get('dirty') else ''}"
                      for r in rows})
    parts.append(f"<p>{len(rows)} finished points; code {', '.join(commits)}. Intervals are "
                 "95% bootstrap intervals (held-out records or benchmark problems, and seeds "
                 "where a point ran under several). The paper's numbers are another model "
                 "(Code Llama 7B) on other benchmarks: they are drawn in their own panel, to "
                 "compare shapes, never values.</p>")
    parts.append(points_table(rows))
    curves = sorted({c for r in rows for c in r["curves"]},
                    key=lambda c: min(i for i, r in enumerate(rows) if c in r["curves"]))
    for name in curves:
        parts += curve_parts(sweep_dir, name, [r for r in rows if name in r["curves"]])
    parts.append(training_curves(sweep_dir, rows))
    return parts


def points_table(rows: list[dict[str, Any]]) -> str:
    header = ["point", "curves", "k", "order", "strategy", "ablation", "seed", "NLL before",
              "NLL after [95% CI]", "NLL problems [95% CI]", "NLL HumanEval [95% CI]",
              "pass@1 [95% CI]", "wall s"]
    body = []
    for r in rows:
        nll = _fmt_ci(r.get("nll_after"), r.get("nll_after_low"), r.get("nll_after_high"))
        sets = [_fmt_ci(r.get(f"nll_{s}_after"), r.get(f"nll_{s}_low"), r.get(f"nll_{s}_high"))
                + (f" ({r[f'{s}_units']})" if r.get(f"{s}_units") else "")
                for s in EXTRA_SETS]
        p1 = (_fmt_ci(100 * r["pass_at_1"], 100 * r["pass_at_1_low"], 100 * r["pass_at_1_high"],
                      ".1f") if r.get("pass_at_1") is not None else "not evaluated")
        body.append([r["id"], ", ".join(r["curves"]), r.get("upsample_k"), r.get("order"),
                     r.get("strategy"), r.get("ablation"), r.get("seed"),
                     _fmt(r.get("nll_before")), nll, *sets, p1, r.get("wall_s")])
    return html_table(body, header) + (
        '<p class="note">NLL: held-out reflection records (final answer | instruction); '
        "problems: rcwork problems' references given the problem, none trained on; HumanEval: "
        "canonical solutions given the prompt (units in brackets). Paired differences on all "
        "three are in the answers section at the top.</p>")


# ---- one curve -----------------------------------------------------------------------------


def curve_axes(rows: list[dict[str, Any]]) -> list[str]:
    """The settings a curve varies (the seed excepted)."""
    keys = set()
    for r in rows:
        keys |= set(json.loads(r.get("params") or "{}"))
    keys |= set(AXES)
    keys.discard("seed")
    return [k for k in sorted(keys, key=lambda k: (AXES.index(k) if k in AXES else 9, k))
            if len({json.dumps(_setting(r, k)) for r in rows}) > 1]


def _setting(row: dict[str, Any], key: str) -> Any:
    if key in row and key not in ("params",):
        return row[key]
    return json.loads(row.get("params") or "{}").get(key)


def curve_points(sweep_dir: Path, rows: list[dict[str, Any]], axes: list[str], metric: Metric
                 ) -> list[CurvePoint]:
    """The curve's points in axis order; runs differing only by seed form one point."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        label = ", ".join(f"{_setting(r, a)}" for a in axes) if axes else r["id"]
        groups.setdefault(label, []).append(r)

    def order(item: tuple[str, list[dict[str, Any]]]) -> tuple:
        r = item[1][0]
        return tuple((0, v, "") if isinstance(v := _setting(r, a), (int, float)) else (1, 0, str(v))
                     for a in axes)

    out = []
    for label, group in sorted(groups.items(), key=order):
        group = sorted(group, key=lambda r: r.get("seed") or 0)
        units = [metric.units(sweep_dir, r) for r in group]
        out.append(CurvePoint(label, group, units, interval(units)))
    return out


def reference_index(points: list[CurvePoint]) -> int:
    """The point a curve shares with another (the spec's base point), else the first."""
    for i, p in enumerate(points):
        if any(len(r["curves"]) > 1 for r in p.rows):
            return i
    return 0


def curve_parts(sweep_dir: Path, name: str, rows: list[dict[str, Any]]
                ) -> list[str | go.Figure]:
    axes = curve_axes(rows)
    metric = PASS if all(r.get("pass_at_1") is not None for r in rows) else NLL
    points = curve_points(sweep_dir, rows, axes, metric)
    title = f"curve “{name}”: {metric.label} vs {' × '.join(axes) or 'point'}"
    parts: list[str | go.Figure] = [f"<h3>{html.escape(title)}</h3>"]
    kind = _paper_panel_kind(axes, points)
    if kind == "variant":  # the paper's row order: ReflectionCoder first, then its ablations
        names = list(paper.VARIANTS)
        points.sort(key=lambda p: names.index(_variant_label(p)))
    elif kind == "order":  # Table 3's order
        names = list(paper.TABLE3_ORDERS)
        points.sort(key=lambda p: names.index(p.label))
    parts.append(_curve_figure(name, axes, points, metric, rows, kind))
    if kind == "upsample":
        parts.append(f'<p class="note">{html.escape(paper.FIGURE4_NOTE)}</p>')
    elif kind:
        parts.append(f'<p class="note">Right: {html.escape(paper.SOURCE)}, '
                     f'{"Table 3" if kind == "order" else "Tables 2 and 8"}; left: rcwork\'s '
                     f"{html.escape(metric.label)} on its own model and data.</p>")
    parts.append(noise_table(points, metric))
    return parts


def _curve_figure(name: str, axes: list[str], points: list[CurvePoint], metric: Metric,
                  rows: list[dict[str, Any]], paper_panel: str | None) -> go.Figure:
    cols = 2 if paper_panel else 1
    titles = ["rcwork (this sweep)"]
    if paper_panel:
        titles.append({"upsample": "paper Figure 4, qualitative: best k only",
                       "order": "paper Table 3: block orders",
                       "variant": "paper Tables 2 and 8: ablations, strategies"}[paper_panel])
    fig = make_subplots(rows=1, cols=cols, subplot_titles=titles, horizontal_spacing=0.12)
    x = [p.label for p in points]
    y = [metric.scale(p.ci.value) for p in points]
    lo = [metric.scale(p.ci.value - p.ci.low) for p in points]
    hi = [metric.scale(p.ci.high - p.ci.value) for p in points]
    if paper_panel == "variant":
        x = [f"{_variant_label(p)}<br>({p.label})" for p in points]
    fig.add_trace(go.Scatter(
        x=x, y=y, mode="lines+markers" if paper_panel == "upsample" else "markers",
        name="rcwork (95% CI)", marker=dict(size=10, color="#2ca02c"),
        error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo),
        hovertemplate="%{x}: %{y:.4f}<extra>rcwork</extra>"), row=1, col=1)
    if any(len(p.rows) > 1 for p in points):  # each seed's own value, faint
        sx, sy = [], []
        for xi, p in zip(x, points):
            for u in p.units:
                sx.append(xi)
                sy.append(metric.scale(u.value))
        fig.add_trace(go.Scatter(x=sx, y=sy, mode="markers", name="rcwork, per seed",
                                 marker=dict(size=6, color="rgba(44,160,44,0.35)")),
                      row=1, col=1)
    if metric is NLL:
        before = [r["nll_before"] for r in rows if r.get("nll_before") is not None]
        if before:
            fig.add_hline(y=sum(before) / len(before), line_dash="dot", line_color="#888",
                          annotation_text="base model (before training)", row=1, col=1)
    fig.update_xaxes(title_text=" × ".join(axes) or "point", type="category", row=1, col=1)
    fig.update_yaxes(title_text=metric.label + (" ↑" if metric.higher_is_better else " ↓"),
                     row=1, col=1)
    if paper_panel == "upsample":
        _figure4_panel(fig)
    elif paper_panel == "order":
        swept = [p.label for p in points]  # the sweep's orders first, then the paper's others
        labels = swept + [o for o in paper.TABLE3_ORDERS if o not in swept]
        _paper_bars(fig, labels, paper.TABLE3_ORDERS)
    elif paper_panel == "variant":
        labels = [_variant_label(p) for p in points]
        _paper_bars(fig, labels, {v: paper.VARIANTS[v][1] for v in labels})
    fig.update_layout(height=440, margin=dict(t=90, b=40), legend=dict(orientation="h", y=-0.25),
                      title=dict(text=f"{name}: rcwork (left)" + (
                          " · the paper, another model (right)" if paper_panel else ""),
                                 font=dict(size=14)))
    return fig


def _paper_panel_kind(axes: list[str], points: list[CurvePoint]) -> str | None:
    if axes == ["upsample_k"]:
        return "upsample"
    if axes == ["order"] and all(p.label in paper.TABLE3_ORDERS for p in points):
        return "order"
    if axes and set(axes) <= {"strategy", "ablation"} and all(_variant_label(p) for p in points):
        return "variant"
    return None


def _variant_label(p: CurvePoint) -> str | None:
    r = p.rows[0]
    return paper.variant(str(r.get("strategy")), str(r.get("ablation")))


def _paper_bars(fig: go.Figure, labels: list[str], values: dict[str, tuple]) -> None:
    for b, (bench, color) in enumerate(zip(paper.BENCHMARKS, BENCH_COLORS)):
        fig.add_trace(go.Bar(x=labels, y=[values[lab][b] for lab in labels],
                             name=f"paper {bench}", marker_color=color,
                             hovertemplate="%{x}: %{y:.1f}<extra>paper " + bench + "</extra>"),
                      row=1, col=2)
    fig.update_yaxes(title_text=paper.SOURCE, range=[50, 80], row=1, col=2)
    fig.update_xaxes(type="category", row=1, col=2)
    fig.update_layout(barmode="group")


def _figure4_panel(fig: go.Figure) -> None:
    names = list(paper.FIGURE4_BEST_K)
    fig.add_trace(go.Scatter(x=[paper.FIGURE4_BEST_K[n] for n in names], y=names,
                             mode="markers+text", text=[f"best k = {paper.FIGURE4_BEST_K[n]}"
                                                        for n in names],
                             textposition="top center", name="paper: best k (Figure 4)",
                             marker=dict(symbol="star", size=16, color="#d62728")), row=1, col=2)
    fig.update_xaxes(title_text="up-sampling factor k", range=[0.5, 5.5], dtick=1, row=1, col=2)
    fig.update_yaxes(type="category", row=1, col=2)


def noise_table(points: list[CurvePoint], metric: Metric) -> str:
    """Each point against the curve's reference: the difference with its interval, and
    whether it is inside the noise."""
    ref = reference_index(points)
    r = points[ref]
    rows, inside, p_values = [], [], []
    for i, p in enumerate(points):
        if i == ref:
            continue
        d, paired = difference(p.units, r.units)
        verdict = "inside the noise" if d.contains(0.0) else (
            "better" if (d.value > 0) == metric.higher_is_better else "worse")
        if d.contains(0.0):
            inside.append(p.label)
        # one seed: a permutation test on the units; several: the bootstrap's own p, which
        # carries the seeds' noise as the interval does
        p_values.append(None if not paired else permutation_test(p.units[0], r.units[0])
                        if len(p.units) == 1 else difference_p(p.units, r.units))
        rows.append([p.label, _fmt(metric.scale(p.ci.value)),
                     _fmt_ci(metric.scale(d.value), metric.scale(d.low), metric.scale(d.high)),
                     "paired" if paired else "unpaired", verdict])
    tested = [p for p in p_values if p is not None]
    adjusted = iter(holm(tested))
    for row, p in zip(rows, p_values):
        row[4:4] = ["" if p is None else f"{p:.3g}",
                    "" if p is None else f"{next(adjusted):.3g}"]
    units = len(r.units[0].ids)
    what = "problems" if metric is PASS else "held-out records"
    note = (f"Reference point: {html.escape(r.label)} ({_fmt(metric.scale(r.ci.value))}, "
            f"95% CI {_fmt(metric.scale(r.ci.low))}–{_fmt(metric.scale(r.ci.high))}, "
            f"{units} {what}")
    if metric is PASS:
        note += f"; one problem is {100 / max(units, 1):.1f} points"
    note += "). "
    if not rows:
        return f'<p class="note">{note}</p>'
    note += (f"Inside the noise (the difference's interval holds 0): "
             f"{html.escape('; '.join(inside))}." if inside else
             "No difference is inside the noise.")
    if units < FEW_UNITS:
        note += (f" With only {units} {what} a bootstrap understates the noise: read these "
                 "verdicts as a sketch.")
    weighting = ("per token: each record weighs by its answer's tokens, the mean training "
                 "reports, so a difference is the difference of the reported NLLs"
                 if metric is NLL else "per problem")
    note += (f" {len(tested)} comparison{'s' if len(tested) != 1 else ''} with the reference; "
             f"p: a paired sign-flip permutation test (over several seeds, the paired "
             f"bootstrap's own p), then Holm's adjustment over the "
             f"{len(tested)}; weighting {weighting}.")
    return (html_table(rows, ["point", metric.label, "difference to reference [95% CI]",
                          "bootstrap", "p", "p (Holm)", "verdict"])
            + f'<p class="note">{note}</p>')


# ---- training curves -----------------------------------------------------------------------


def training_curves(sweep_dir: Path, rows: list[dict[str, Any]]) -> go.Figure:
    """Every run's logged terms overlaid; the menu picks the term, the legend the runs."""
    fig = go.Figure()
    visible = []
    for term in TERMS:
        for r in rows:
            curves = DistillMetrics.read(sweep_dir / r["run"]).curves
            ys = curves.get(term) or []
            pts = [(s, v) for s, v in zip(curves.get("step", []), ys) if v is not None]
            fig.add_trace(go.Scatter(x=[s for s, _ in pts], y=[v for _, v in pts],
                                     mode="lines+markers", name=r["id"], legendgroup=r["id"],
                                     showlegend=term == TERMS[0], visible=term == TERMS[0],
                                     hovertemplate=f"{r['id']}<br>step %{{x}}: %{{y:.4f}}"
                                                   f"<extra>{term}</extra>"))
            visible.append(term)
    buttons = [dict(label=term, method="update",
                    args=[{"visible": [v == term for v in visible],
                           "showlegend": [v == term for v in visible]},
                          {"yaxis": {"title": {"text": term}}}]) for term in TERMS]
    fig.update_layout(title="Training curves of every point (menu: the term; legend: the runs)",
                      xaxis_title="step", yaxis_title=TERMS[0], height=420,
                      updatemenus=[dict(buttons=buttons, direction="down", x=1.0, y=1.18,
                                        xanchor="right")])
    return fig


# ---- formatting ----------------------------------------------------------------------------


def _fmt(v: Any, spec: str = ".4g") -> str:
    return "" if v is None else format(v, spec)


def _fmt_ci(v: Any, lo: Any, hi: Any, spec: str = ".4g") -> str:
    if v is None:
        return ""
    return f"{format(v, spec)} [{format(lo, spec)}, {format(hi, spec)}]"
