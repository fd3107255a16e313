"""The report's first section: what the run answered, one sentence per question.

Each sentence is written from the numbers the stages stored, never by hand: the sweep
registry's paired comparisons with each curve's reference point (:mod:`rcwork.sweep.registry`),
the paired comparison of the two evaluations (:mod:`rcwork.evaluation.paired`), and the GRPO
run's held-out figures.  A difference whose interval holds zero is said to be "not
distinguishable"; each sentence names its units, how many comparisons were made (p-values are
Holm-adjusted over them) and the figure or table it comes from.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rcwork.evaluation.paired import compare_paired, compare_verdicts
from rcwork.stage_files import ReinforceMetrics, evaluation_runs

# The sweep's questions: (question, the rows that answer it).  ReflectionCoder's first
# question — does reflection self-distillation beat plain training on the same data — is the
# ablation curve's no_distill (NTP on the reflection data) and no_reflection (instruction data
# only) points against the reference.
ABLATIONS = {"no_distill": "self-distillation vs NTP on the same reflection data (no_distill)",
             "no_reflection": "self-distillation vs instruction data only (no_reflection)"}


# The held-out sets measured beside the records (rcwork.sweep.heldout), as a sentence names
# their units.
SET_LABELS = {"problems": "held-out rcwork problems' references",
              "humaneval": "HumanEval canonical solutions"}


def _units(row: dict[str, Any]) -> str:
    if row["paired_metric"] == "pass_at_1":
        return f"{row.get('n_problems')} problems"
    return f"{row.get('heldout_records')} held-out records"


def measures(row: dict[str, Any], *, pooled: bool = False) -> list[dict[str, Any]]:
    """Each paired comparison a sweep row carries: the primary metric, then every held-out
    set measured on both runs; ``d``/``lo``/``hi`` are point − reference.  ``pooled``: the
    comparison over all the setting's seeds instead of the row's own seed."""
    out = []
    from rcwork.sweep.registry import columns

    primary = ("records" if row["paired_metric"] == "nll" else "pass_at_1",
               "ΔNLL" if row["paired_metric"] == "nll" else "Δpass@1", _units(row),
               columns(None, pooled=pooled))
    sets = [(name, "ΔNLL", f"{row.get(f'{name}_units')} {label}", columns(name, pooled=pooled))
            for name, label in SET_LABELS.items()]
    for name, metric, units, (d, lo, hi, p, p_holm) in [primary, *sets]:
        if row.get(d) is not None:
            out.append({"name": name, "metric": metric, "units": units, "d": row[d],
                        "lo": row[lo], "hi": row[hi], "p": row[p], "p_holm": row[p_holm]})
    return out


def _clause(m: dict[str, Any], *, flip: bool) -> str:
    """One measure's difference with its interval, p-value and verdict; ``flip`` states it
    as reference − point (the method against an ablation) instead of point − reference."""
    sign = -1.0 if flip else 1.0
    d, lo, hi = sign * m["d"], sign * m["lo"], sign * m["hi"]
    lo, hi = min(lo, hi), max(lo, hi)
    if lo <= 0 <= hi:
        verdict = "not distinguishable (the interval includes 0)"
    else:
        lower = d < 0
        verdict = f"{'self-distillation' if flip else 'this point'} {'lower' if lower else 'higher'}"
        if m["metric"] == "ΔNLL":
            verdict += " (better)" if lower else " (worse)"
    return (f"{m['metric']} {d:+.4f} [{lo:+.4f}, {hi:+.4f}] on {m['units']}, "
            f"p = {m['p']:.3g} (Holm {m['p_holm']:.3g}) — {verdict}")


def settings(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The compared rows grouped by setting (runs that differ only by seed), in row order."""
    from rcwork.sweep.registry import setting

    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("reference"):
            groups.setdefault(setting(r), []).append(r)
    return list(groups.values())


def _paired_sentence(question: str, group: list[dict[str, Any]], *, flip: bool) -> str:
    """``question``: one setting's paired differences against its reference, one clause per
    measure, and how many comparisons the Holm adjustment covered.  A setting run under
    several seeds is stated pooled over them, with each seed's primary difference beside; one
    not pooled gets a sentence per seed."""
    row = group[0]
    if row.get("pooled_seeds") and len(group) > 1:
        sign = -1.0 if flip else 1.0
        per_seed = ", ".join(f"{sign * r['diff_vs_reference']:+.4f} (seed {r.get('seed')})"
                             for r in group)
        clauses = "; ".join(_clause(m, flip=flip) for m in measures(row, pooled=True))
        seeds = ", ".join(str(s) for s in row["pooled_seeds"])
        return (f"{question}, seeds {seeds} pooled: {clauses}; seed by seed on the "
                f"{_units(row)}: {per_seed}; {row['pooled_comparisons']} pooled comparisons "
                f"in the sweep.")
    sentences = []
    for r in group:
        label = f" (seed {r.get('seed')})" if len(group) > 1 else ""
        clauses = "; ".join(_clause(m, flip=flip) for m in measures(r))
        sentences.append(f"{question}{label}: {clauses}; {r['comparisons']} comparisons in "
                         f"the sweep.")
    return " ".join(sentences)


def _question(row: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    if row.get("ablation") in ABLATIONS:
        return ABLATIONS[row["ablation"]]
    ref = next((x for x in rows if x["id"] == row["reference"]), {})
    changed = [k for k in ("upsample_k", "order", "strategy", "ablation")
               if row.get(k) != ref.get(k)]
    return ", ".join(f"{k} = {row.get(k)} vs {ref.get(k)}" for k in changed) or row["id"]


def sweep_answers(rows: list[dict[str, Any]]) -> list[str]:
    """One sentence per compared setting, the paper's ablations first."""
    groups = settings(rows)
    out = []
    for ablation, question in ABLATIONS.items():
        group = next((g for g in groups if g[0].get("ablation") == ablation), None)
        out.append(_paired_sentence(question, group, flip=True) if group else
                   f"{question}: not in this sweep (add it to the spec's ablation curve).")
    for g in groups:
        if g[0].get("ablation") not in ABLATIONS:
            out.append(_paired_sentence(_question(g[0], rows), g, flip=False))
    return out


def forest_figure(rows: list[dict[str, Any]]) -> go.Figure | None:
    """The sweep's paired differences as a forest plot: one row per compared setting (pooled
    over its seeds where it ran under several, else one row per seed), one panel per measure,
    the zero line drawn; each marker is self-distillation − ablation for the ablations and
    point − reference elsewhere (lower NLL is better)."""
    groups = settings(rows)
    if not groups:
        return None
    groups.sort(key=lambda g: (g[0].get("ablation") not in ABLATIONS, rows.index(g[0])))
    lines: list[tuple[str, dict[str, Any], bool]] = []  # (label, row, pooled)
    for g in groups:
        question = _question(g[0], rows)
        if g[0].get("pooled_seeds") and len(g) > 1:
            lines.append((f"{question} ({len(g)} seeds)", g[0], True))
        else:
            lines += [(question + (f" (seed {r.get('seed')})" if len(g) > 1 else ""), r, False)
                      for r in g]
    names = list(dict.fromkeys(m["name"] for _, r, pooled in lines
                               for m in measures(r, pooled=pooled)))
    titles = {"records": "ΔNLL<br>held-out records", "pass_at_1": "Δpass@1<br>problems",
              "problems": "ΔNLL<br>held-out problems' references",
              "humaneval": "ΔNLL<br>HumanEval canonical solutions"}
    fig = make_subplots(rows=1, cols=len(names), shared_yaxes=True,
                        subplot_titles=[titles[n] for n in names], horizontal_spacing=0.04)
    for col, name in enumerate(names, 1):
        xs, ys, lo, hi, text = [], [], [], [], []
        for label, r, pooled in lines:
            m = next((m for m in measures(r, pooled=pooled) if m["name"] == name), None)
            if m is None:
                continue
            sign = -1.0 if r.get("ablation") in ABLATIONS else 1.0
            d, a, b = sign * m["d"], sign * m["lo"], sign * m["hi"]
            xs.append(d)
            ys.append(label)
            lo.append(d - min(a, b))
            hi.append(max(a, b) - d)
            text.append(f"{m['units']}, Holm p {m['p_holm']:.3g}")
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", showlegend=False, text=text,
                                 marker=dict(size=9, color="#2ca02c"),
                                 error_x=dict(type="data", symmetric=False, array=hi,
                                              arrayminus=lo),
                                 hovertemplate="%{y}: %{x:+.4f}<br>%{text}<extra></extra>"),
                      row=1, col=col)
        fig.add_vline(x=0, line_dash="dot", line_color="#888", row=1, col=col)
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_annotations(font_size=12)
    fig.update_layout(height=160 + 45 * len(lines), margin=dict(t=90, l=10, r=10, b=40),
                      title=dict(text="Paired differences with 95% intervals (zero: no "
                                      "difference; left of zero: lower NLL)",
                                 font=dict(size=14)))
    return fig


def evaluation_answer(d: Path) -> str | None:
    """The distilled checkpoint against the base model, paired per problem."""
    runs = evaluation_runs(d)
    if "base" not in runs or "distilled" not in runs:
        return None
    c = compare_paired(runs["base"], runs["distilled"])
    return f"Does distillation change pass@1? {c.sentence('base', 'distilled')}."


def trajectory_verdicts(path: Path) -> dict[str, tuple[bool, float]]:
    """Per held-out problem of a ReflexiCoder stage: (first completion passed, pass rate)."""
    from rcwork.reflexi.evaluate import read_results

    by_task: dict[str, list[bool]] = {}
    for r in read_results(path):
        by_task.setdefault(r.task_id, []).append(bool(r.passed))
    return {t: (v[0], sum(v) / len(v)) for t, v in by_task.items()}


def reinforce_answer(d: Path) -> str | None:
    """Held-out pass@1 before and after ReflexiCoder's GRPO (and its warm-up), paired per
    problem where the per-completion files are there."""
    if not (d / ReinforceMetrics.FILE).exists():
        return None
    m = ReinforceMetrics.read(d)
    stages = [(s, (m.heldout.get(s) or {}).get("pass@1")) for s in
              ("base", "warmed_up", "trained")]
    shown = ", ".join(f"{s} {v:.2f}" for s, v in stages if v is not None)
    n = len(m.heldout_problems)
    line = (f"Does the GRPO trajectory help? held-out pass@1 {shown} on {n} problem"
            f"{'' if n == 1 else 's'} ({m.steps} GRPO steps)")
    files = {s: d / f"heldout_{s}.jsonl" for s, _ in stages}
    pairs = [(a, b) for a, b in (("base", "trained"), ("warmed_up", "trained"),
                                 ("base", "warmed_up"))
             if files[a].exists() and files[b].exists()]
    for a, b in pairs:
        c = compare_verdicts(trajectory_verdicts(files[a]), trajectory_verdicts(files[b]))
        line += f"; {c.sentence(a, b)}"
    return line + (": too few problems to tell a change from noise." if n < 20 else ".")


def _answers_parts(lines: list[str], rows: list[dict[str, Any]], *, details: str
                   ) -> list[str | go.Figure]:
    body = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    parts: list[str | go.Figure] = [
        "<h2 id='answers'>What this run answered</h2>",
        "<p class='note'>Each line is a paired comparison on shared units (held-out records, "
        "held-out problems' references, HumanEval's canonical solutions, or benchmark "
        "problems) with its 95% bootstrap interval; p-values are Holm-adjusted over every "
        "comparison of the sweep (a setting run under several seeds is stated pooled over "
        "them, Holm-adjusted over the sweep's pooled comparisons).  The forest plot below "
        f"draws the sweep's lines; details in {details}.</p>",
        f"<ul class='answers'>{body}</ul>"]
    fig = forest_figure(rows)
    if fig is not None:
        parts.append(fig)
    return parts


def answers_section(run_dir: Path) -> list[str | go.Figure]:
    """The section, from whatever stages of ``run_dir`` have run."""
    from rcwork.sweep.registry import read_registry

    rows = read_registry(run_dir / "sweep")
    lines = sweep_answers(rows)
    for line in (evaluation_answer(run_dir / "evaluate"), reinforce_answer(run_dir / "reinforce")):
        if line:
            lines.append(line)
    return _answers_parts(lines, rows, details="the sweep's noise tables and the "
                          "evaluation section")


def sweep_answers_section(sweep_dir: Path) -> list[str | go.Figure]:
    """The section for a sweep on its own (``<sweep>/report.html``): its sentences and forest
    plot."""
    from rcwork.sweep.registry import read_registry

    rows = read_registry(sweep_dir)
    return _answers_parts(sweep_answers(rows), rows,
                          details="the noise tables below, one per curve")
