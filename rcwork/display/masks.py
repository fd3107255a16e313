"""Lesson 03's pictures: the student's attention mask (the trainer's own, see
:func:`rcwork.distill.layout.student_attention_mask`), how fast each strategy hides the
reflection sequence, and the mask explorer widget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from rcwork.display.records import encoded_html, special_flags, token_texts
from rcwork.distill.layout import student_attention_mask
from rcwork.distill.masks import ORDERS, STRATEGIES, describe, hidden_tokens
from rcwork.encoding import KIND_NAMES, PART_NAMES, Encoded

if TYPE_CHECKING:  # annotations only: importable without transformers
    from transformers import PreTrainedTokenizerBase


def attention_mask_figure(enc: Encoded, mask: Any, tokens: Sequence[str],
                          title: str = "student attention mask") -> go.Figure:
    """Heat map of which key each query may attend; hover names token, part and block kind.

    ``mask`` is the ``(L, L)`` mask the trainer builds
    (:func:`rcwork.distill.layout.student_attention_mask`); ``tokens`` are the tokens' texts
    (``rcwork.display.records.token_texts``), quoted in the hover.
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


class MaskExplorer(W.VBox):
    """Pick a mask strategy, block order and rate; see which tokens the student loses and its
    attention mask.  ``sample`` is a teacher sample (``encode_record(...).teacher``); its
    tokens are shown as the text ``tokenizer`` decodes them to."""

    def __init__(self, sample: Encoded, tokenizer: PreTrainedTokenizerBase, *, seed: int = 0):
        self.sample, self.seed = sample, seed
        self.texts = token_texts(tokenizer, sample.input_ids)
        self.special = special_flags(tokenizer, sample.input_ids)
        self.strategy = W.Dropdown(options=list(STRATEGIES), value="block",
                                   description="strategy")
        self.order = W.Dropdown(options=list(ORDERS), value="EAC", description="order")
        self.rate = W.FloatSlider(min=0.0, max=1.0, step=1 / 12, value=0.5,
                                  description="mask rate", readout_format=".2f")
        self.summary = W.Label()
        self.tokens_view = W.HTML(layout=W.Layout(flex="1 1 0", min_width="0"))
        self.mask_view = W.Image(format="png", layout=W.Layout(width="420px", height="420px",
                                                                 flex="0 0 auto"))
        for w, cls in ((self.strategy, "rc-strategy"), (self.order, "rc-order"),
                       (self.rate, "rc-rate"), (self.summary, "rc-mask-summary"),
                       (self.tokens_view, "rc-tokens-view"), (self.mask_view, "rc-mask")):
            w.add_class(cls)
        for w in (self.strategy, self.order, self.rate):
            w.observe(self._update, names="value")
        super().__init__([W.HBox([self.strategy, self.order, self.rate]), self.summary,
                          W.HBox([self.tokens_view, self.mask_view])])
        self.add_class("rc-mask-explorer")
        self._update()

    def hidden(self) -> list[bool]:
        return hidden_tokens(self.sample, self.strategy.value, self.rate.value,
                             order=self.order.value, seed=self.seed)

    def _update(self, *_):
        self.order.disabled = self.strategy.value != "block"
        hidden = self.hidden()
        self.summary.value = summary_line(describe(self.sample, hidden))
        self.tokens_view.value = encoded_html(self.sample, self.texts, hidden,
                                              special=self.special)
        self.mask_view.value = attention_mask_png(student_attention_mask(self.sample, hidden))


def summary_line(d: dict[str, int]) -> str:
    """The explorer's one-line count of hidden tokens, from ``rcwork.distill.masks.describe``."""
    return (f"hidden: {d['instruction_hidden']}/{d['instruction_tokens']} instruction tokens, "
            f"{d['reflection_hidden']}/{d['reflection_tokens']} reflection tokens; the student "
            f"reads {d['tokens'] - d['hidden']} of {d['tokens']} tokens")
