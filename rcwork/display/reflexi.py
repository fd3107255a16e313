"""Lesson 06's pictures and the report's ReflexiCoder section: reward curves per component, the
held-out table and reflection counts (from ``metrics.json``), and trajectories coloured think /
answer / reflection with a browsing widget.  Text outside any element (what makes a completion
malformed when it is not whitespace) is struck through in red; an element never closed runs to
the end and is marked unclosed; each answer carries its score when known (✓ / ✗).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rcwork.display.html import MATH, NO_MATH, HTMLView, html_table
from rcwork.reflexi.evaluate import TrajectoryResult
from rcwork.reflexi.trajectory import parse_trajectory, protocol_violations
from rcwork.stage_files import ReinforceMetrics


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

    An :class:`~rcwork.display.html.HTMLView`: a lesson cell ending with this call draws the
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


TITLE = "ReflexiCoder · GRPO over think → answer → reflection trajectories"


def reward_formula(weights: list[float] | None) -> str:
    """The reward GRPO maximised, with the run's weights, as a formula (the report typesets
    it with MathJax, as lesson 06 shows it): format F, cycle regulation P, iterative quality R,
    efficiency E (docs/reflexicoder.md).  ``None`` weights are TRL's: all 1."""
    terms = [sym if float(w) == 1 else f"{float(w):g}\\,{sym}"
             for w, sym in zip(weights or [1.0, 1.0, 1.0], ("F", "P \\cdot R", "P \\cdot E"))]
    return ("<p>Each completion's reward (format F, cycle regulation P, iterative quality R, "
            f"efficiency E):</p><div class='{MATH}'>$$r = {' + '.join(terms)}$$</div>")


def reinforce_section(run_dir: str | Path) -> list[str | go.Figure]:
    """The section for the reinforce output folder ``run_dir`` (its ``metrics.json``).

    A folder without metrics.json yields a heading and a note that the stage has not run.
    """
    from rcwork.reflexi.evaluate import read_results

    run_dir = Path(run_dir)
    parts: list[str | go.Figure] = [f"<h2>{html.escape(TITLE)}</h2>"]
    m = ReinforceMetrics.read_if_exists(run_dir)
    if m is None:
        path = ReinforceMetrics.path_in(run_dir)
        return parts + [f'<p class="missing">no {html.escape(str(path))}: stage not run</p>']
    s = m.settings
    warm = m.warmup
    step_time = f"  Mean step time {m.step_time_s:.1f} s." if m.step_time_s else ""
    parts.append(
        f"<p>{html.escape(m.model)} on {m.train_problems} training problems, "
        f"{len(m.heldout_problems)} held out; {m.steps} GRPO steps, "
        f"{s['num_generations']} completions per prompt, ≤ {s['max_completion_length']} tokens, "
        f"β {s['beta']}, lr {s['learning_rate']}, reward weights {s['reward_weights']}.  "
        + (f"Format warm-up (rcwork's addition): {warm['steps']} SFT steps on "
           f"{warm['records']['kept']} converted records." if warm else
           "No format warm-up (the authors' configuration).")
        + step_time + "</p>")
    parts.append(reward_formula(s["reward_weights"]))
    parts.append(reward_curves(m.curves))
    header, rows = heldout_rows(m.heldout)
    if len(header) > 1:
        parts.append("<p>Held-out problems, one greedy completion each (pass@1 judges the "
                     "final answer; strict credits well-formed trajectories only):</p>"
                     + html_table(rows, header, missing="—"))
        parts.append(reflection_histogram(m.heldout))
    trained = run_dir / "heldout_trained.jsonl"
    if trained.exists():
        results = read_results(trained)
        shown = next((r for r in results if r.well_formed), results[0] if results else None)
        if shown is not None:
            parts.append(f"<p>A held-out completion after training ({html.escape(shown.task_id)}"
                         f", {'passed' if shown.passed else 'failed'}):</p>"
                         + trajectory_html(shown.text, shown.answer_scores))
    return parts
