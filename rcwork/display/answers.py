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

from rcwork.evaluation.paired import compare_paired
from rcwork.stage_files import ReinforceMetrics, evaluation_runs

# The sweep's questions: (question, the rows that answer it).  ReflectionCoder's first
# question — does reflection self-distillation beat plain training on the same data — is the
# ablation curve's no_distill (NTP on the reflection data) and no_reflection (instruction data
# only) points against the reference.
ABLATIONS = {"no_distill": "self-distillation vs NTP on the same reflection data (no_distill)",
             "no_reflection": "self-distillation vs instruction data only (no_reflection)"}


def _units(row: dict[str, Any]) -> str:
    if row["paired_metric"] == "pass_at_1":
        return f"{row.get('n_problems')} problems"
    return f"{row.get('heldout_records')} held-out records"


def _paired_sentence(question: str, row: dict[str, Any], *, flip: bool) -> str:
    """``question``: the paired difference of ``row`` against its reference.  ``flip`` states
    it as reference − point (the method against an ablation) instead of point − reference."""
    sign = -1.0 if flip else 1.0
    d, lo, hi = (sign * row["diff_vs_reference"], sign * row["diff_low"], sign * row["diff_high"])
    lo, hi = min(lo, hi), max(lo, hi)
    metric = "ΔNLL" if row["paired_metric"] == "nll" else "Δpass@1"
    if lo <= 0 <= hi:
        verdict = "not distinguishable (the interval includes 0)"
    else:
        lower = d < 0
        first = "self-distillation" if flip else "this point"
        verdict = f"{first} {'lower' if lower else 'higher'}"
        if row["paired_metric"] == "nll":
            verdict += " (better)" if lower else " (worse)"
    return (f"{question}: {metric} {d:+.4f} [{lo:+.4f}, {hi:+.4f}] on {_units(row)}, "
            f"p = {row['p_permutation']:.3g} (Holm {row['p_holm']:.3g} over "
            f"{row['comparisons']} comparisons) — {verdict}.")


def sweep_answers(rows: list[dict[str, Any]]) -> list[str]:
    """One sentence per compared sweep point, the paper's ablations first."""
    compared = [r for r in rows if r.get("reference")]
    out = []
    for ablation, question in ABLATIONS.items():
        row = next((r for r in compared if r.get("ablation") == ablation), None)
        out.append(_paired_sentence(question, row, flip=True) if row else
                   f"{question}: not in this sweep (add it to the spec's ablation curve).")
    for r in compared:
        if r.get("ablation") in ABLATIONS:
            continue
        ref = next((x for x in rows if x["id"] == r["reference"]), {})
        changed = [k for k in ("upsample_k", "order", "strategy", "ablation")
                   if r.get(k) != ref.get(k)]
        what = ", ".join(f"{k} = {r.get(k)} vs {ref.get(k)}" for k in changed) or r["id"]
        out.append(_paired_sentence(what, r, flip=False))
    return out


def evaluation_answer(d: Path) -> str | None:
    """The distilled checkpoint against the base model, paired per problem."""
    runs = evaluation_runs(d)
    if "base" not in runs or "distilled" not in runs:
        return None
    c = compare_paired(runs["base"], runs["distilled"])
    return f"Does distillation change pass@1? {c.sentence('base', 'distilled')}."


def reinforce_answer(d: Path) -> str | None:
    """Held-out pass@1 before and after ReflexiCoder's GRPO (and its warm-up)."""
    if not (d / ReinforceMetrics.FILE).exists():
        return None
    m = ReinforceMetrics.read(d)
    stages = [(s, (m.heldout.get(s) or {}).get("pass@1")) for s in
              ("base", "warmed_up", "trained")]
    shown = ", ".join(f"{s} {v:.2f}" for s, v in stages if v is not None)
    n = len(m.heldout_problems)
    return (f"Does the GRPO trajectory help? held-out pass@1 {shown} on {n} problem"
            f"{'' if n == 1 else 's'} ({m.steps} GRPO steps)"
            + (": too few problems to tell a change from noise." if n < 20 else "."))


def answers_section(run_dir: Path) -> list[str]:
    """The section, from whatever stages of ``run_dir`` have run."""
    from rcwork.sweep.registry import read_registry

    lines = sweep_answers(read_registry(run_dir / "sweep"))
    for line in (evaluation_answer(run_dir / "evaluate"), reinforce_answer(run_dir / "reinforce")):
        if line:
            lines.append(line)
    body = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return ["<h2>What this run answered</h2>",
            "<p class='note'>Each line is a paired comparison on shared units (held-out records "
            "or problems) with its 95% bootstrap interval; details in the sweep's noise tables "
            "and the evaluation section below.</p>", f"<ul class='answers'>{body}</ul>"]
