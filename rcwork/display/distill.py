"""Lesson 04's pictures and the report's distillation section: the loss terms along training
and the held-out NLL before and after.
"""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go

from rcwork.display.html import MATH, missing_section, html_table
from rcwork.stage_files import DistillMetrics


TERMS = (("loss", "total"), ("ntp", "NTP (teacher)"),
         ("student_ntp", "NTP (student, final answer)"), ("kl", "KL(teacher‖student)"))


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


# The distillation objective as lesson 04 writes it (ReflectionCoder §3.2).
LOSS_FORMULA = (r"$$\mathcal{L} = \mathrm{NTP}(\text{teacher}) + \mathrm{NTP}(\text{student})"
                r" + \mathrm{KL}\big(p_\text{teacher}\,\|\,p_\text{student}\big)$$")


def distill_section(d: Path) -> list[str | go.Figure]:
    """Distillation: the loss, settings, data per input, training curves, held-out
    before/after."""
    parts: list[str | go.Figure] = ["<h2>2 · Dynamically masked reflection self-distillation</h2>"]
    metrics = DistillMetrics.read_if_exists(d)
    if metrics is None:
        return parts + [missing_section(DistillMetrics.path_in(d))]
    parts.append("<p>One model is teacher (it reads the reflection) and student (it reads the "
                 "reflection partly hidden, more of it as training goes on); each step "
                 f"minimises</p><div class='{MATH}'>{LOSS_FORMULA}</div>")
    parts.append("<p>" + ", ".join(f"{k} = {html.escape(str(v))}"
                                   for k, v in metrics.config.items()) + "</p>")
    if metrics.sources:
        parts.append("<p>Training data, per input (held-out records come from the first):</p>"
                     + html_table([[s["path"], s["read"], s.get("skipped", 0), s["too_long"],
                                    s["train"], s["heldout"]] for s in metrics.sources],
                                  ["input", "records", "bad lines skipped", "too long",
                                   "training", "held out"]))
    parts.append(distill_curves(metrics))
    rows = [[when, k, v] for when, vals in (("before", metrics.before), ("after", metrics.after))
            for k, v in vals.items() if isinstance(v, (int, float))]
    if rows:
        parts.append("<p>Held-out records (lower is better):</p>"
                     + html_table(rows, ["when", "metric", "value"]))
    return parts
