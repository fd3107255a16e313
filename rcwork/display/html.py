"""Display primitives every stage's pictures share: HTML that displays in a notebook
(:class:`HTMLView`), the markers that tell MathJax which text is maths, and report tables.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any


# Records and token views hold code and program output, where a `$` is a character, not maths:
# MathJax (in JupyterLab, the converted lessons and the report) leaves elements of this class
# alone.
NO_MATH = "tex2jax_ignore"


class HTMLView(str):
    """HTML markup that displays as HTML when a notebook shows it.

    Still the string itself, so a report concatenates it, a widget takes it as its ``value`` and
    a test searches it; ``_repr_html_`` is what makes a lesson cell ending in
    ``trajectory_html(...)`` draw the view instead of echoing ``'<style>...'`` (IPython prefers
    the HTML representation; plain-text front ends get a one-line summary, not the markup).
    """

    def _repr_html_(self) -> str:
        return str(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(f"<HTML view, {len(self)} characters>")


def html_table(rows: list[list[Any]], header: list[str], *, missing: str = "") -> str:
    """A report table (class ``rc``): floats to 4 significant digits, ``None`` as ``missing``."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return html.escape(missing if v is None else str(v))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f'<table class="rc"><tr>{head}</tr>{body}</table>'


# The report typesets only what is marked as maths (its body is NO_MATH): tables, records and
# figure text may hold a `$` that is a character.
MATH = "tex2jax_process"


def missing_section(path: Path) -> str:
    """What a report section shows for a stage whose folder is not there."""
    return f'<p class="missing">no {html.escape(str(path))}: stage not run</p>'
