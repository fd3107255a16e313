"""Seeing trajectories: HTML that colours think / answer / reflection, and a browsing widget.

Text outside any element (what makes a completion malformed when it is not whitespace) is shown
struck through in red; an element that is never closed runs to the end and is marked unclosed.
Each answer carries its score when it is known (✓ passes the tests, ✗ fails).
"""

from __future__ import annotations

import html
import re
from typing import Sequence

from rcwork.reflexi.evaluate import TrajectoryResult
from rcwork.reflexi.trajectory import parse_trajectory, protocol_violations
from rcwork.views import NO_MATH, HTMLView

_ELEMENT = re.compile(r"<(think|answer|reflection)>(.*?)(</\1>|\Z)", re.DOTALL)

COLOURS = {"think": "#eef3ff", "answer": "#eafbea", "reflection": "#fff6e0", "other": "#ffe8e8"}

_STYLE = """<style>
.rx-traj{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap;line-height:1.35}
.rx-el{display:block;border-left:4px solid #999;margin:3px 0;padding:3px 6px;border-radius:3px}
.rx-tag{font-weight:bold;color:#555}
.rx-think{background:%(think)s;border-color:#4a6fd8}
.rx-answer{background:%(answer)s;border-color:#2e9b3a}
.rx-reflection{background:%(reflection)s;border-color:#d89a1a}
.rx-other{background:%(other)s;color:#a00;text-decoration:line-through}
.rx-head{font-family:sans-serif;font-size:13px;margin-bottom:4px}
</style>""" % COLOURS


def segments(text: str) -> list[tuple[str, str, bool]]:
    """``(kind, content, closed)`` in order; ``kind`` is an element name or ``"other"``."""
    out, pos = [], 0
    for m in _ELEMENT.finditer(text):
        if m.start() > pos:
            out.append(("other", text[pos:m.start()], True))
        out.append((m.group(1), m.group(2), bool(m.group(3))))
        pos = m.end()
    if pos < len(text):
        out.append(("other", text[pos:], True))
    return out


def trajectory_html(text: str, scores: Sequence[int] | None = None) -> HTMLView:
    """One completion as coloured HTML (self-contained: carries its own style).

    An :class:`~rcwork.views.HTMLView`: a lesson cell ending with this call draws the
    trajectory; the report and the viewer use it as the string it also is.
    """
    traj = parse_trajectory(text)
    head = ("well formed, " + f"{traj.n_reflections} reflection(s)" if traj.well_formed
            else f"malformed: {html.escape(traj.reason)}")
    problems = protocol_violations(traj) if traj.well_formed else []
    if problems:
        head += " · protocol: " + html.escape("; ".join(problems))
    parts, answer_index = [], 0
    for kind, content, closed in segments(text.strip()):
        if kind == "other":
            if content.strip():
                parts.append(f'<span class="rx-other">{html.escape(content)}</span>')
            continue
        mark = ""
        if kind == "answer":
            if scores is not None and answer_index < len(scores):
                mark = " ✓" if scores[answer_index] else " ✗"
            answer_index += 1
        tag = f"&lt;{kind}&gt;{mark}" + ("" if closed else " (unclosed)")
        parts.append(f'<span class="rx-el rx-{kind}"><span class="rx-tag">{tag}</span>\n'
                     f"{html.escape(content.strip())}</span>")
    return HTMLView(f'{_STYLE}<div class="{NO_MATH}"><div class="rx-head">{head}</div>'
                    f'<div class="rx-traj">{"".join(parts)}</div></div>')


class TrajectoryViewer:
    """Browse scored completions: a filter, a slider, and the coloured trajectory."""

    FILTERS = ("all", "well formed", "malformed", "passed", "failed")

    def __init__(self, results: Sequence[TrajectoryResult]):
        import ipywidgets as w

        if not results:
            raise ValueError("no completions to show")
        self.results = list(results)
        self.filter = w.Dropdown(options=self.FILTERS, value="all", description="show")
        self.slider = w.IntSlider(min=0, max=len(self.results) - 1, description="#")
        self.count = w.HTML()
        self.view = w.HTML()
        self.widget = w.VBox([w.HBox([self.filter, self.slider, self.count]), self.view])
        self.widget.add_class("rx-trajectory-viewer")
        self.filter.observe(lambda _: self._refilter(), names="value")
        self.slider.observe(lambda _: self._show(), names="value")
        self._refilter()

    def _keep(self, r: TrajectoryResult) -> bool:
        return {"all": True, "well formed": r.well_formed, "malformed": not r.well_formed,
                "passed": r.passed, "failed": not r.passed}[self.filter.value]

    def _refilter(self) -> None:
        self._indices = [i for i, r in enumerate(self.results) if self._keep(r)]
        self.slider.max = max(0, len(self._indices) - 1)
        self.slider.value = 0
        self._show()

    def _show(self) -> None:
        if not self._indices:
            self.count.value, self.view.value = "no completion matches", ""
            return
        r = self.results[self._indices[self.slider.value]]
        self.count.value = (f"{self.slider.value + 1} of {len(self._indices)} · {r.task_id} · "
                            f"{r.n_tokens} tokens · {'passed' if r.passed else 'failed'}")
        self.view.value = str(trajectory_html(r.text, r.answer_scores))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
