"""ipywidgets for JupyterLab: browse reflection records block by block.

The widgets only arrange controls around :mod:`rcwork.views`, which renders the HTML; every
widget gets a CSS class (``rc-...``) so a browser test can find it.
"""

from __future__ import annotations

from typing import Sequence

import ipywidgets as W

from rcwork.records import ReflectionRecord
from rcwork.views import record_html


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
        self.view = W.HTML()
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
