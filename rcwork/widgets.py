"""ipywidgets for JupyterLab: browse reflection records block by block.

The widgets only arrange controls around :mod:`rcwork.views`, which renders the HTML; every
widget gets a CSS class (``rc-...``) so a browser test can find it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import ipywidgets as W

from rcwork.distill.masks import ORDERS, STRATEGIES, describe, hidden_tokens
from rcwork.encoding import Encoded
from rcwork.distill.layout import student_attention_mask
from rcwork.figures import attention_mask_png
from rcwork.records import ReflectionRecord
from rcwork.tokentext import special_flags, token_texts
from rcwork.views import encoded_html, record_html

if TYPE_CHECKING:  # annotations only: importable without transformers
    from transformers import PreTrainedTokenizerBase


def _filtered(records: Sequence[ReflectionRecord], rounds: str, resolved: str
              ) -> list[int]:
    keep = []
    for i, r in enumerate(records):
        if rounds != "any" and (r.metadata.rounds < 3 if rounds == "3+"
                                else r.metadata.rounds != int(rounds)):
            continue
        if resolved != "any" and r.metadata.resolved != (resolved == "resolved"):
            continue
        keep.append(i)
    return keep


class RecordBrowser(W.VBox):
    """A slider over records (optionally filtered by rounds and resolution) and the record."""

    def __init__(self, records: Sequence[ReflectionRecord]):
        if not records:
            raise ValueError("RecordBrowser needs at least one record")
        self.records = list(records)
        self.rounds = W.Dropdown(options=["any", "1", "2", "3+"], value="any",
                                 description="rounds")
        self.resolved = W.Dropdown(options=["any", "resolved", "unresolved"], value="any",
                                   description="status")
        self.slider = W.IntSlider(min=0, max=len(self.records) - 1, description="record")
        self.count = W.Label()
        # A long record scrolls inside the view instead of stretching the page.
        self.view = W.HTML(layout=W.Layout(max_height="640px", overflow="auto"))
        for w, cls in ((self.rounds, "rc-rounds"), (self.resolved, "rc-resolved"),
                       (self.slider, "rc-slider"), (self.view, "rc-view"),
                       (self.count, "rc-count")):
            w.add_class(cls)
        self._indices = list(range(len(self.records)))
        for w in (self.rounds, self.resolved):
            w.observe(self._refilter, names="value")
        self.slider.observe(self._show, names="value")
        super().__init__([W.HBox([self.rounds, self.resolved]), W.HBox([self.slider, self.count]),
                          self.view])
        self.add_class("rc-record-browser")
        self._refilter()

    def _refilter(self, *_):
        self._indices = _filtered(self.records, self.rounds.value, self.resolved.value)
        self.slider.max = max(len(self._indices) - 1, 0)
        self.slider.value = 0
        self._show()

    def _show(self, *_):
        if not self._indices:
            self.count.value = "no record matches"
            self.view.value = ""
            return
        i = self._indices[self.slider.value]
        self.count.value = f"{self.slider.value + 1} of {len(self._indices)} (record #{i})"
        self.view.value = record_html(self.records[i])


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
