"""The HTML report of a run: one self-contained page built from the files the stages wrote.

Every number on the page is read from a stage's output file (``summary.json`` of synthesis,
``metrics.json`` of distillation, ``results.json`` of each evaluation), so the report can be
rebuilt at any time and never disagrees with the run.  plotly.js is inlined once, so the page
works offline; executed notebooks are converted to HTML beside it and linked.
"""

from __future__ import annotations

import html
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from rcwork.records import read_records
from rcwork.views import STYLE, record_html

PAGE_CSS = """
<style>
body {font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1080px; color: #222}
h1 {margin-bottom: 4px} h2 {border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px}
table.rc {border-collapse: collapse; font-size: 13px; margin: 8px 0}
table.rc td, table.rc th {border: 1px solid #ddd; padding: 3px 8px; text-align: right}
table.rc th {background: #f4f4f4} table.rc td:first-child {text-align: left}
.note {color: #666; font-size: 13px} .missing {color: #a33}
</style>
"""


def _read_json(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def _stage_json(page: _Page, path: Path) -> dict[str, Any] | None:
    """A stage's output file, or None after noting on the page that the stage has not run."""
    data = _read_json(path)
    if data is None:
        page.add(f'<p class="missing">no {path}: stage not run</p>')
    return data


def _table(rows: list[list[Any]], header: list[str]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return html.escape("" if v is None else str(v))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f'<table class="rc"><tr>{head}</tr>{body}</table>'


class _Page:
    """Collects sections; the first figure carries plotly.js, the rest reference it."""

    def __init__(self, title: str):
        self.title = title
        self.parts: list[str] = []
        self._plotly_included = False

    def add(self, fragment: str) -> None:
        self.parts.append(fragment)

    def figure(self, fig: go.Figure) -> None:
        self.parts.append(fig.to_html(full_html=False,
                                      include_plotlyjs=not self._plotly_included))
        self._plotly_included = True

    def render(self) -> str:
        return (f"<!doctype html><html><head><meta charset='utf-8'><title>"
                f"{html.escape(self.title)}</title>{PAGE_CSS}{STYLE}</head><body>"
                f"{''.join(self.parts)}</body></html>")


def _synthesis_section(page: _Page, d: Path) -> None:
    page.add("<h2>1 · Synthesis of reflection sequences</h2>")
    summary = _stage_json(page, d / "summary.json")
    if summary is None:
        return
    page.add(f"<p>{summary.get('records', 0)} problems processed: {summary.get('kept', 0)} "
             f"records kept, {summary.get('filtered', 0)} filtered, "
             f"{summary.get('resolved', 0)} resolved.  Teacher: "
             f"{html.escape(str(summary.get('teacher', '')))}.</p>")
    reasons = summary.get("filter_reasons", {})
    rounds = summary.get("rounds_histogram", {})
    fig = go.Figure()
    fig.add_trace(go.Bar(x=list(reasons), y=list(reasons.values()), name="filtered, by reason"))
    fig.update_layout(title="filter reasons (a record can have several)", height=320)
    page.figure(fig)
    fig = go.Figure(go.Bar(x=list(rounds), y=list(rounds.values())))
    fig.update_layout(title="records by rounds (executed code blocks)", xaxis_title="rounds",
                      height=300)
    page.figure(fig)
    kept = read_records(d / "kept") if (d / "kept").exists() else []
    if kept:
        page.add("<p>A kept sequence:</p>" + record_html(kept[0], style=False))


def _distill_section(page: _Page, d: Path) -> None:
    page.add("<h2>2 · Dynamically masked reflection self-distillation</h2>")
    metrics = _stage_json(page, d / "metrics.json")
    if metrics is None:
        return
    cfg = metrics.get("config", {})
    page.add("<p>" + ", ".join(f"{k} = {html.escape(str(v))}" for k, v in cfg.items()) + "</p>")
    curves = metrics.get("curves", {})
    fig = go.Figure()
    for key, name in (("loss", "total"), ("ntp", "NTP (teacher)"),
                      ("student_ntp", "NTP (student, final answer)"), ("kl", "KL(teacher‖student)")):
        if any(v is not None for v in curves.get(key, [])):
            fig.add_trace(go.Scatter(x=curves["step"], y=curves[key], name=name, mode="lines"))
    if any(v is not None for v in curves.get("mask_rate", [])):
        fig.add_trace(go.Scatter(x=curves["step"], y=curves["mask_rate"], name="mask rate",
                                 yaxis="y2", line=dict(dash="dot")))
    fig.update_layout(title="training losses", xaxis_title="step", height=380,
                      yaxis2=dict(overlaying="y", side="right", range=[0, 1.05],
                                  title="mask rate"))
    page.figure(fig)
    held = metrics.get("heldout", {})
    rows = []
    for when in ("before", "after"):
        vals = held.get(when) or {}
        rows += [[when, k, v] for k, v in vals.items() if isinstance(v, (int, float))]
    if rows:
        page.add("<p>Held-out records (lower is better):</p>"
                 + _table(rows, ["when", "metric", "value"]))


def _evaluation_section(page: _Page, d: Path) -> None:
    page.add("<h2>3 · Evaluation (pass@k, sandboxed execution)</h2>")
    runs = {p.parent.name: json.loads(p.read_text()) for p in sorted(d.glob("*/results.json"))}
    if not runs:
        page.add(f'<p class="missing">no results under {d}: stage not run</p>')
        return
    rows = []
    for name, r in runs.items():
        toks = (r.get("tokens") or {}).get("mean_per_sample")
        rows.append([name, r.get("benchmark"), r.get("n_problems"), r.get("pass@1"),
                     r.get("status_counts", {}).get("passed"), toks])
    page.add(_table(rows, ["run", "benchmark", "problems", "pass@1", "passed samples",
                           "tokens / sample"]))
    names = list(runs)
    task_ids = sorted({t for r in runs.values() for t in r.get("problems", {})})
    z = [[(runs[n]["problems"].get(t) or {}).get("pass@1") for t in task_ids] for n in names]
    fig = go.Figure(go.Heatmap(z=z, x=task_ids, y=names, colorscale=[[0, "#e9b3b3"],
                                                                   [1, "#9fd39f"]],
                               zmin=0, zmax=1, showscale=False))
    fig.update_layout(title="per-problem pass@1", height=160 + 40 * len(names),
                      xaxis_showticklabels=False)
    page.figure(fig)
    if len(names) >= 2:
        a, b = runs[names[0]]["problems"], runs[names[-1]]["problems"]
        flips = [[t, a[t].get("status"), b[t].get("status")] for t in task_ids
                 if t in a and t in b and a[t].get("pass@1") != b[t].get("pass@1")]
        page.add(f"<p>{len(flips)} problem(s) changed verdict from {names[0]} to "
                 f"{names[-1]}:</p>" + (_table(flips, ["task", names[0], names[-1]])
                                         if flips else ""))


def _notebooks_section(page: _Page, run_dir: Path, out_dir: Path, stages: dict) -> None:
    ordered = [Path(s["notebook"]) for s in stages.values() if s.get("notebook")]
    notebooks = [p for p in ordered if p.exists()] or sorted(run_dir.glob("**/*.ipynb"))
    if not notebooks:
        return
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    nb_dir = out_dir / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    links = []
    for nb_path in notebooks:
        body, _ = exporter.from_notebook_node(nbformat.read(nb_path, as_version=4))
        target = nb_dir / (nb_path.relative_to(run_dir).as_posix().replace("/", "__")
                           .replace(".ipynb", ".html"))
        target.write_text(body, encoding="utf-8")
        links.append(f'<li><a href="{html.escape(target.relative_to(out_dir).as_posix())}">'
                     f"{html.escape(nb_path.relative_to(run_dir).as_posix())}</a></li>")
    page.add("<h2>Executed notebooks</h2><ul>" + "".join(links) + "</ul>")


def build_report(run_dir: str | Path, out_html: str | Path, *, title: str = "rcwork run"
                 ) -> Path:
    """Write the report of ``run_dir`` to ``out_html`` (plus ``notebooks/`` beside it)."""
    run_dir, out_html = Path(run_dir), Path(out_html)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    pipeline = _read_json(run_dir / "pipeline.json") or {}
    page = _Page(title)
    page.add(f"<h1>{html.escape(title)}</h1><p class='note'>run {html.escape(str(run_dir))} · "
             f"profile {html.escape(str(pipeline.get('profile', '?')))} · built "
             f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}</p>")
    stages = pipeline.get("stages", {})
    if stages:
        page.add(_table([[k, v.get("status"), v.get("wall_s")] for k, v in stages.items()],
                        ["stage", "status", "wall time (s)"]))
    _synthesis_section(page, run_dir / "synthesize")
    _distill_section(page, run_dir / "distill")
    _evaluation_section(page, run_dir / "evaluate")
    _notebooks_section(page, run_dir, out_html.parent, stages)
    out_html.write_text(page.render(), encoding="utf-8")
    return out_html
