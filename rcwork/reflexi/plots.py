"""Figures of a ReflexiCoder run, built from ``metrics.json`` (notebook 06 and the report)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

REWARD_LABELS = {"format_reward": "F (format)", "quality_reward": "P·R (iterative quality)",
                 "efficiency_reward": "P·E (efficiency)", "reward": "weighted sum"}
STAGES = ("base", "warmed_up", "trained")


def reward_curves(curves: dict[str, list]) -> go.Figure:
    """Each reward component's group mean per step, the weighted total, and completion length."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for key, label in REWARD_LABELS.items():
        ys = curves.get(key) or []
        if any(v is not None for v in ys):
            fig.add_trace(go.Scatter(x=curves["step"], y=ys, name=label, mode="lines+markers",
                                     line=dict(width=3 if key == "reward" else 2)))
    if any(v is not None for v in curves.get("completion_length") or []):
        fig.add_trace(go.Scatter(x=curves["step"], y=curves["completion_length"],
                                 name="tokens per completion", line=dict(dash="dot")),
                      secondary_y=True)
    fig.update_layout(title="GRPO rewards per step (mean over the step's completions)",
                      xaxis_title="step", height=420)
    fig.update_yaxes(title_text="reward", secondary_y=False)
    fig.update_yaxes(title_text="tokens", secondary_y=True)
    return fig


def reflection_histogram(heldout: dict[str, dict[str, Any] | None]) -> go.Figure:
    """How many reflections held-out completions hold, per stage (malformed count as 0)."""
    fig = go.Figure()
    for stage in STAGES:
        summary = heldout.get(stage)
        if summary:
            counts = summary["reflection_counts"]
            fig.add_trace(go.Bar(x=[int(k) for k in counts], y=list(counts.values()),
                                 name=stage.replace("_", " ")))
    fig.update_layout(title="reflections per held-out completion", barmode="group",
                      xaxis_title="reflections (n)", yaxis_title="completions", height=320,
                      xaxis=dict(dtick=1))
    return fig


HELDOUT_ROWS = ("pass@1", "pass@1_strict", "format_rate", "protocol_rate", "reflections_mean",
                "tokens_per_completion", "tokens_per_solved", "truncated_rate")


def heldout_rows(heldout: dict[str, dict[str, Any] | None]) -> tuple[list[str], list[list[Any]]]:
    """(header, rows) of the held-out figures, one column per stage that was measured."""
    stages = [s for s in STAGES if heldout.get(s)]
    rows = [[key] + [heldout[s].get(key) for s in stages] for key in HELDOUT_ROWS]
    return ["held-out"] + [s.replace("_", " ") for s in stages], rows
