"""Lesson 02's pictures: reflection records and encoded samples as HTML, tokens as the text they
decode to, and the record browser widget.

Plain functions return HTML strings (:class:`~rcwork.display.html.HTMLView`), so a report
written to disk and a widget in JupyterLab show the same thing, and tests check them without a
browser.  A tokenizer's own token strings are written in its internal alphabet (byte-level BPE
shows a space as ``Ġ``): :func:`token_texts` gives each token the exact piece of decoded text
it adds, so joining the pieces gives back ``tokenizer.decode(ids)``; a character whose UTF-8
bytes span several tokens belongs to the token that completes it.  Every widget gets a CSS class
(``rc-...``) so a browser test can find it.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Sequence

import ipywidgets as W

from rcwork.display.html import NO_MATH, HTMLView
from rcwork.encoding import IGNORE, KIND_NAMES, PART_NAMES, Encoded
from rcwork.records import Block, ReflectionRecord

if TYPE_CHECKING:  # annotations only: importable without transformers
    from transformers import PreTrainedTokenizerBase


# Tokens decoded before the current one, so that tokenizers which render a piece differently at
# the start of a text (SentencePiece drops a leading space) give the same piece as in context.
_CONTEXT = 6


# UTF-8 needs at most 4 bytes per character: after that many empty pieces, stop waiting.
_MAX_PENDING = 4


_REPLACEMENT = "\ufffd"


def _decode(tokenizer: PreTrainedTokenizerBase, ids: Sequence[int]) -> str:
    return tokenizer.decode(list(ids), skip_special_tokens=False,
                            clean_up_tokenization_spaces=False)


def token_texts(tokenizer: PreTrainedTokenizerBase, ids: Sequence[int]) -> list[str]:
    """One string per id: the text that token adds when ``ids`` are decoded together."""
    ids = [int(i) for i in ids]
    out: list[str] = []
    first_pending = 0  # first token whose text has not been given out yet
    for i in range(len(ids)):
        start = max(0, first_pending - _CONTEXT)
        before = _decode(tokenizer, ids[start:first_pending])
        upto = _decode(tokenizer, ids[start:i + 1])
        waiting = i + 1 - first_pending
        if (upto.endswith(_REPLACEMENT) and i + 1 < len(ids) and waiting < _MAX_PENDING):
            out.append("")  # an incomplete character: the next token completes it
            continue
        if upto.startswith(before):
            piece = upto[len(before):]
        else:  # the context decoded differently on its own: fall back to the token alone
            piece = _decode(tokenizer, ids[first_pending:i + 1])
        # The pending empty pieces stay empty; the completed text goes to this token.
        out.append(piece)
        first_pending = i + 1
    return out


def special_flags(tokenizer: PreTrainedTokenizerBase, ids: Sequence[int]) -> list[bool]:
    """Per id: True for the tokenizer's special tokens (bos/eos, roles, block markers), which
    views set apart from the text around them."""
    special = set(tokenizer.all_special_ids) | {
        i for i, t in tokenizer.added_tokens_decoder.items() if t.special}
    return [int(i) in special for i in ids]


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
    """Tokens of one sample as the text they decode to (``rcwork.display.records.token_texts``),
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


def dump(enc: Encoded, tokenizer: PreTrainedTokenizerBase, *, limit: int | None = None) -> str:
    """A readable table of one sample: token, part, block kind, trained (T) and distilled (D).

    Each token is shown quoted as the text it decodes to (``' for'``, ``'\\n'``), not in the
    tokenizer's byte alphabet; a ``limit`` says how many rows it left out.
    """
    rows = [f"{'pos':>5} {'token':<24} {'part':<11} {'kind':<9} {'blk':>3} T D"]
    for i, text in enumerate(token_texts(tokenizer, enc.input_ids)[:limit]):
        rows.append(f"{i:>5} {text!r:<24} {PART_NAMES[enc.part[i]]:<11} "
                    f"{KIND_NAMES[enc.kind[i]]:<9} {enc.block[i]:>3} "
                    f"{'T' if enc.labels[i] != IGNORE else '.'} "
                    f"{'D' if enc.final_labels[i] != IGNORE else '.'}")
    if limit is not None and len(enc) > limit:
        rows.append(f"... {len(enc) - limit} more token(s) not shown (limit={limit})")
    return "\n".join(rows)
