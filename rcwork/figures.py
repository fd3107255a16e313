"""Plotly figures shared by the notebooks and the HTML reports (plain ``go.Figure`` objects,
which render offline both in JupyterLab and in a static page)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go

from rcwork.encoding import KIND_NAMES, PART_NAMES, Encoded


def attention_mask_figure(enc: Encoded, mask: Any, tokens: Sequence[str],
                          title: str = "student attention mask") -> go.Figure:
    """Heat map of which key each query may attend; hover names token, part and block kind.

    ``mask`` is the ``(L, L)`` mask the trainer builds
    (:func:`rcwork.distill.layout.student_attention_mask`); ``tokens`` are the tokens' texts
    (``rcwork.tokentext.token_texts``), quoted in the hover.
    """
    labels = [f"{i}:{t!r} ({PART_NAMES[enc.part[i]]}/{KIND_NAMES[enc.kind[i]]})"
              for i, t in enumerate(tokens)]
    fig = go.Figure(go.Heatmap(z=np.asarray(mask, dtype=int), x=labels, y=labels, showscale=False,
                               colorscale=[[0, "#f4f4f4"], [1, "#2a6fdb"]],
                               hovertemplate="query %{y}<br>key %{x}<extra></extra>"))
    fig.update_layout(title=title, height=520, width=560, xaxis_showticklabels=False,
                      yaxis_showticklabels=False, yaxis_autorange="reversed",
                      margin=dict(l=10, r=10, t=40, b=10))
    return fig


def hidden_fraction_figure(curves: dict[str, tuple[Sequence[float], Sequence[float]]],
                           title: str = "share of the reflection sequence hidden") -> go.Figure:
    """One line per strategy/order: mask rate → fraction of RS tokens the student cannot see."""
    fig = go.Figure()
    for name, (rates, fractions) in curves.items():
        fig.add_trace(go.Scatter(x=list(rates), y=list(fractions), mode="lines", name=name,
                                 line_shape="hv"))
    fig.update_layout(title=title, xaxis_title="mask rate (step / max steps)",
                      yaxis_title="hidden RS tokens", yaxis_range=[0, 1.02], height=380)
    return fig


def mask_curves(samples: Sequence[Encoded], settings: dict[str, tuple[str, str]],
                rates: Sequence[float], seed: int = 0
                ) -> dict[str, tuple[list[float], list[float]]]:
    """For each named (strategy, order): mean share of RS tokens hidden at each rate."""
    from rcwork.distill.masks import describe, hidden_tokens

    curves = {}
    for name, (strategy, order) in settings.items():
        ys = []
        for rate in rates:
            shares = []
            for i, s in enumerate(samples):
                d = describe(s, hidden_tokens(s, strategy, rate, order=order, seed=f"{seed}/{i}"))
                if d["reflection_tokens"]:
                    shares.append(d["reflection_hidden"] / d["reflection_tokens"])
            ys.append(sum(shares) / max(len(shares), 1))
        curves[name] = (list(rates), ys)
    return curves


def attention_mask_png(mask: Any, *, size: int = 480) -> bytes:
    """The student attention mask (the trainer's, as for :func:`attention_mask_figure`) as a
    PNG (blue: may attend), for an ``ipywidgets.Image``.

    A picture rather than a plotly figure inside an ``Output`` widget: it redraws instantly on
    every slider move and needs no front-end extension.
    """
    import io

    from PIL import Image

    allowed = np.asarray(mask, dtype=bool)
    n = allowed.shape[0]
    rgb = np.where(allowed[..., None], np.array([42, 111, 219], np.uint8),
                   np.array([244, 244, 244], np.uint8)).astype(np.uint8)
    img = Image.fromarray(rgb, "RGB")
    scale = max(1, size // max(n, 1))
    img = img.resize((n * scale, n * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
