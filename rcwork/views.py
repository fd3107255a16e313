"""HTML views of records and encoded samples, shared by the widgets and the static reports.

Plain functions returning HTML strings, so a report written to disk and a widget in JupyterLab
show the same thing and tests can check them without a browser.  The strings are
:class:`HTMLView` objects: a lesson that ends a cell with one sees the picture, not the markup.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Sequence

from rcwork.encoding import IGNORE, KIND_NAMES, PART_NAMES, Encoded
from rcwork.records import Block, ReflectionRecord
from rcwork.tokentext import special_flags, token_texts

if TYPE_CHECKING:  # annotations only: importable without transformers
    from transformers import PreTrainedTokenizerBase

# One colour per block kind (code, execution, analysis), as the paper's figures distinguish them.
KIND_COLORS = {"text": "#fff7e0", "code": "#e8f1ff", "execution": "#eeeeee"}
KIND_LABELS = {"text": "analysis (A)", "code": "code (C)", "execution": "execution (E)"}

STYLE = """
<style>
.rc-record {font-family: system-ui, sans-serif; font-size: 13px; max-width: 980px;
            line-height: 1.45}
.rc-msg {border-left: 3px solid #999; margin: 6px 0; padding: 2px 8px}
.rc-msg.user {border-color: #c47f00} .rc-msg.assistant {border-color: #2a6fdb}
.rc-role {font-weight: 600; color: #555; font-size: 11px; text-transform: uppercase}
.rc-block {margin: 4px 0; padding: 4px 6px; border-radius: 3px; white-space: pre-wrap;
           overflow-x: auto}
.rc-block.code, .rc-block.execution {font-family: ui-monospace, monospace; font-size: 12px}
.rc-kind {font-size: 10px; color: #777}
.rc-meta {color: #555; font-size: 12px}
.rc-tokens {font-family: ui-monospace, monospace; font-size: 12px; line-height: 1.9;
            white-space: pre-wrap; overflow-wrap: anywhere; max-height: 32em; overflow-y: auto;
            border: 1px solid #ddd; padding: 4px 6px}
.rc-tok {border-bottom: 2px solid transparent; box-shadow: inset -1px 0 0 #9aa4b1;
         padding: 1px 0}
.rc-tok.hidden {color: #9a9a9a; text-decoration: line-through; background-image:
                repeating-linear-gradient(135deg, transparent 0 3px, #0000001a 3px 5px)}
.rc-tok.trained {border-bottom-color: #2a9d3a} .rc-tok.distilled {border-bottom-color: #c0392b}
.rc-tok.special {font-weight: 600; color: #6b3fa0}
.rc-tok.partial::after {content: "\\2009"} .rc-nl::before {content: "\\21b5"; color: #9aa4b1}
.rc-legend {font-size: 11px; color: #555; margin: 4px 0}
.rc-legend span {padding: 0 4px; margin-right: 6px}
</style>
"""


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


def _block_html(block: Block) -> str:
    return (f'<div class="rc-block {block.kind}" style="background:{KIND_COLORS[block.kind]}">'
            f'<div class="rc-kind">{KIND_LABELS[block.kind]}</div>'
            f"{html.escape(block.content)}</div>")


def _message_html(role: str, blocks: Sequence[Block], title: str) -> str:
    inner = "".join(_block_html(b) for b in blocks)
    return (f'<div class="rc-msg {role}"><div class="rc-role">{html.escape(title)}</div>'
            f"{inner}</div>")


def record_html(record: ReflectionRecord, *, style: bool = True) -> HTMLView:
    """The record's four parts, each block coloured by kind."""
    m = record.metadata
    meta = (f'<div class="rc-meta">source {html.escape(m.source)} · teacher '
            f'{html.escape(m.teacher)} · rounds {m.rounds} · '
            f'{"resolved" if m.resolved else "unresolved"}</div>')
    parts = [_message_html("user", [Block("text", record.instruction)],
                           "reflection instruction")]
    parts += [_message_html(msg.role, msg.blocks, f"reflection sequence ({msg.role})")
              for msg in record.reflection]
    parts.append(_message_html("user", [Block("text", record.reanswer_instruction)],
                               "re-answer instruction"))
    parts.append(_message_html("assistant", record.final, "final answer"))
    return HTMLView((STYLE if style else "")
                    + f'<div class="rc-record {NO_MATH}">{meta}{"".join(parts)}</div>')


def _token_html(text: str) -> str:
    """A token's text, escaped, with a visible mark before each line break it holds."""
    return '<span class="rc-nl"></span>\n'.join(html.escape(line) for line in text.split("\n"))


LEGEND = ('<div class="rc-legend"><span class="rc-tok trained">trained</span>'
          '<span class="rc-tok distilled">distillation target</span>'
          '<span class="rc-tok hidden">hidden from the student</span>'
          '<span class="rc-tok special">special token</span>'
          '<span>a thin line ends each token; <span class="rc-nl"></span> a line break</span>'
          "</div>")


def encoded_html(enc: Encoded, texts: Sequence[str], hidden: Sequence[bool] | None = None,
                 *, style: bool = True, special: Sequence[bool] | None = None) -> HTMLView:
    """Tokens of one sample as the text they decode to (``rcwork.tokentext.token_texts``),
    one box per token: underlined green when trained, red when a distillation target, greyed
    and struck through when hidden from the student.  Long samples scroll in their box.

    Line breaks show as a mark drawn by CSS, so the page's text is exactly the decoded sample.
    """
    if len(texts) != len(enc):
        raise ValueError(f"encoded_html: {len(texts)} token texts for a sample of {len(enc)} "
                         "tokens")
    spans = []
    for i, text in enumerate(texts):
        cls = ["rc-tok"]
        if enc.labels[i] != IGNORE:
            cls.append("trained")
        if enc.final_labels[i] != IGNORE:
            cls.append("distilled")
        if hidden is not None and hidden[i]:
            cls.append("hidden")
        if special is not None and special[i]:
            cls.append("special")
        if not text:
            cls.append("partial")
        bg = KIND_COLORS.get(KIND_NAMES[enc.kind[i]], "transparent")
        title = (f"#{i} {text!r} (id {enc.input_ids[i]}): "
                 f"{PART_NAMES[enc.part[i]]} / {KIND_NAMES[enc.kind[i]]}"
                 + (", hidden" if "hidden" in cls else ""))
        spans.append(f'<span class="{" ".join(cls)}" style="background-color:{bg}" '
                     f'title="{html.escape(title)}">{_token_html(text)}</span>')
    return HTMLView((STYLE if style else "") + LEGEND
                    + f'<div class="rc-tokens {NO_MATH}">{"".join(spans)}</div>')


def token_view(enc: Encoded, tokenizer: PreTrainedTokenizerBase,
               hidden: Sequence[bool] | None = None, *, style: bool = True) -> HTMLView:
    """:func:`encoded_html` of a sample, its tokens decoded with ``tokenizer``."""
    return encoded_html(enc, token_texts(tokenizer, enc.input_ids), hidden, style=style,
                        special=special_flags(tokenizer, enc.input_ids))


def html_table(rows: list[list[Any]], header: list[str], *, missing: str = "") -> str:
    """A report table (class ``rc``): floats to 4 significant digits, ``None`` as ``missing``."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return html.escape(missing if v is None else str(v))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f'<table class="rc"><tr>{head}</tr>{body}</table>'
