"""The HTML report of a run: one page built from the files the stages wrote.

Every number on the page is read from a stage's output file (``summary.json`` of synthesis,
``metrics.json`` of distillation, ``results.json`` of each evaluation), so the report can be
rebuilt at any time and never disagrees with the run.  plotly.js is inlined once, so the page
works offline; executed notebooks are converted to HTML beside it and linked.  ``_static/``
beside the page holds local copies of MathJax (the formulas of the page and of the lessons, as
JupyterLab draws them), require.js and the widget manager (the lessons' widgets), so nothing is
fetched from the network.
"""

from __future__ import annotations

import html
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import plotly.graph_objects as go

from rcwork.display.html import NO_MATH, html_table
from rcwork.display.records import STYLE
from rcwork.stage_files import PipelineRecord

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


def mathjax_head(src: str) -> str:
    """The ``<head>`` scripts that typeset ``$…$`` and ``$$…$$`` with the MathJax at ``src``.

    The configuration is JupyterLab 4's (MathJax 3.2.2, CommonHTML output, the same
    delimiters and escapes), so a converted lesson shows its formulas as Lab shows them.
    Elements of class ``tex2jax_ignore`` are left alone, those of ``tex2jax_process`` typeset
    even inside them.  The widget manager (``@jupyter-widgets/html-manager`` 1.0) typesets
    widget labels through MathJax 2's ``MathJax.Hub.Queue`` whenever ``window.MathJax``
    exists; MathJax 3 has no ``Hub``, so a page with both threw on every described widget.
    ``Hub.Queue`` is given here: a no-op until MathJax is ready (its first pass typesets the
    page), then MathJax 3's ``typesetPromise`` on the element, as Lab typesets labels.
    """
    return (r"""<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true, processEnvironments: true},
  options: {ignoreHtmlClass: 'tex2jax_ignore', processHtmlClass: 'tex2jax_process'},
  Hub: {Queue: function () {}},
  startup: {ready: function () {
    MathJax.startup.defaultReady();
    MathJax.Hub = {Queue: function () {
      for (const job of arguments) {
        if (Array.isArray(job) && job[0] === 'Typeset' && job[2] instanceof Element) {
          MathJax.typesetPromise([job[2]]).catch(function () {});
        }
      }
    }};
  }}
};
</script>"""
            f'<script defer src="{html.escape(src)}"></script>')


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

    def extend(self, parts: list[str | go.Figure]) -> None:
        """A section: HTML fragments and figures in page order."""
        for part in parts:
            if isinstance(part, go.Figure):
                self.figure(part)
            else:
                self.add(part)

    def render(self) -> str:
        return (f"<!doctype html><html><head><meta charset='utf-8'><title>"
                f"{html.escape(self.title)}</title>{PAGE_CSS}{STYLE}"
                f"{mathjax_head(f'{STATIC}/{MATHJAX}')}</head><body class='{NO_MATH}'>"
                f"{''.join(self.parts)}</body></html>")


# require.js, the Jupyter widgets HTML manager (with its fonts) and MathJax (with its fonts),
# fetched from the npm registry by `make env` (scripts/fetch_widget_js.py): too large for git,
# so not tracked.  Copied to STATIC beside the report, shared by the page and the lessons.
STATIC_DIR = Path(__file__).resolve().parent / "_static"
STATIC = "_static"
REQUIRE_JS = "require.js"
WIDGET_RENDERER = "html-manager/embed-amd.js"
MATHJAX = "mathjax/tex-chtml-full.js"

# nbconvert's lab template with the local MathJax in place of nbconvert's CDN MathJax 2 (see
# mathjax_head); the widget manager is told where its fonts are, beside itself.
_NOTEBOOK_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_mathjax -%}
{% raw %}MATHJAX_HEAD{% endraw %}
{%- endblock html_head_js_mathjax -%}
{% block jupyter_widgets %}<script>
window.__jupyter_widgets_assets_path__ = new URL("ASSETS", document.baseURI).href;
</script>{{ super() }}{% endblock jupyter_widgets %}
"""
# A <script src="http..."> in an output needs the network; plotly's notebook renderer adds one
# for MathJax (LaTeX in figure labels, which these lessons do not use).
_REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc=[\"']?(?:https?:)?//[^>]*>\s*</script>", re.I)


def _drop_remote_scripts(nb: Any) -> None:
    """Remove network-loaded scripts from a notebook's HTML outputs (nbformat joins them into
    one string on reading)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/html" in data:
                data["text/html"] = _REMOTE_SCRIPT.sub("", data["text/html"])


def copy_static(out_dir: Path) -> Path:
    """Copy the local JavaScript to ``out_dir/_static`` (what the page and the converted
    lessons load instead of CDNs); a missing file is an error naming ``make env``."""
    missing = [f for f in (REQUIRE_JS, WIDGET_RENDERER, MATHJAX) if not (STATIC_DIR / f).exists()]
    if missing:
        raise FileNotFoundError(
            f"{', '.join(str(STATIC_DIR / f) for f in missing)} missing: the report and the "
            "executed notebooks need them to show formulas and widgets offline; `make env` "
            "fetches them from the npm registry (scripts/fetch_widget_js.py)")
    shutil.copytree(STATIC_DIR, out_dir / STATIC, dirs_exist_ok=True)
    return out_dir / STATIC


def _offline_exporter(static: str) -> Any:
    """An HTML exporter whose pages show formulas, plotly figures and widgets' saved state
    offline, loading the JavaScript from ``static`` (a URL relative to the pages)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    assets = f"{static}/{Path(WIDGET_RENDERER).parent.as_posix()}/"
    template = (_NOTEBOOK_TEMPLATE.replace("ASSETS", assets)
                .replace("MATHJAX_HEAD", mathjax_head(f"{static}/{MATHJAX}")))
    return HTMLExporter(template_name="lab", template_file="rcwork_offline.html.j2",
                        extra_loaders=[DictLoader({"rcwork_offline.html.j2": template})],
                        require_js_url=f"{static}/{REQUIRE_JS}",
                        widget_renderer_url=f"{static}/{WIDGET_RENDERER}")


def _notebooks_section(page: _Page, run_dir: Path, out_dir: Path, stages: dict) -> None:
    ordered = [Path(s["notebook"]) for s in stages.values() if s.get("notebook")]
    notebooks = [p for p in ordered if p.exists()] or sorted(run_dir.glob("**/*.ipynb"))
    if not notebooks:
        return
    import nbformat

    nb_dir = out_dir / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    exporter = _offline_exporter(f"../{STATIC}")
    links = []
    for nb_path in notebooks:
        nb = nbformat.read(nb_path, as_version=4)
        _drop_remote_scripts(nb)
        body, _ = exporter.from_notebook_node(nb)
        target = nb_dir / (nb_path.relative_to(run_dir).as_posix().replace("/", "__")
                           .replace(".ipynb", ".html"))
        target.write_text(body, encoding="utf-8")
        links.append(f'<li><a href="{html.escape(target.relative_to(out_dir).as_posix())}">'
                     f"{html.escape(nb_path.relative_to(run_dir).as_posix())}</a></li>")
    page.add("<h2>Executed notebooks</h2><ul>" + "".join(links) + "</ul>")


Section = tuple[Callable[[Path], list[str | go.Figure]], str]


def build_report(run_dir: str | Path, out_html: str | Path, *, sections: list[Section],
                 title: str = "rcwork run", notebooks: bool = True) -> Path:
    """Write the report of ``run_dir`` to ``out_html`` (plus ``notebooks/`` beside it).

    ``sections`` are ``(section function, stage folder under run_dir)`` pairs in page order;
    the pipeline's stage registry gives them (:func:`rcwork.pipeline.report_sections`), each
    drawn by its stage's module in :mod:`rcwork.display`.  ``notebooks``: convert the
    executed notebooks under ``run_dir`` and link them (a sweep's own page leaves its points'
    notebooks out)."""
    run_dir, out_html = Path(run_dir), Path(out_html)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    copy_static(out_html.parent)
    pipeline = PipelineRecord.read_if_exists(run_dir)
    page = _Page(title)
    profile = f" · profile {html.escape(pipeline.profile)}" if pipeline else ""
    page.add(f"<h1>{html.escape(title)}</h1><p class='note'>run {html.escape(str(run_dir))}"
             f"{profile} · built {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}</p>")
    stages = pipeline.stages if pipeline else {}
    if stages:
        page.add(html_table([[k, v.get("status"), v.get("wall_s")] for k, v in stages.items()],
                        ["stage", "status", "wall time (s)"]))
    for section, folder in sections:
        page.extend(section(run_dir / folder))
    if notebooks:
        _notebooks_section(page, run_dir, out_html.parent, stages)
    out_html.write_text(page.render(), encoding="utf-8")
    return out_html
