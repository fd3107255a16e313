"""HTML views of records and encoded samples, shared by the widgets and the static reports.

Plain functions returning HTML strings, so a report written to disk and a widget in JupyterLab
show the same thing and tests can check them without a browser.
"""

from __future__ import annotations

import html
from typing import Sequence

from rcwork.encoding import IGNORE, KIND_NAMES, PART_NAMES, Encoded
from rcwork.records import Block, ReflectionRecord

# One colour per block kind (code, execution, analysis), as the paper's figures distinguish them.
KIND_COLORS = {"text": "#fff7e0", "code": "#e8f1ff", "execution": "#eeeeee"}
KIND_LABELS = {"text": "analysis (A)", "code": "code (C)", "execution": "execution (E)"}

STYLE = """
<style>
.rc-record {font-family: system-ui, sans-serif; font-size: 13px; max-width: 980px}
.rc-msg {border-left: 3px solid #999; margin: 6px 0; padding: 2px 8px}
.rc-msg.user {border-color: #c47f00} .rc-msg.assistant {border-color: #2a6fdb}
.rc-role {font-weight: 600; color: #555; font-size: 11px; text-transform: uppercase}
.rc-block {margin: 4px 0; padding: 4px 6px; border-radius: 3px; white-space: pre-wrap;
           overflow-x: auto}
.rc-block.code, .rc-block.execution {font-family: ui-monospace, monospace; font-size: 12px}
.rc-kind {font-size: 10px; color: #777}
.rc-meta {color: #555; font-size: 12px}
.rc-tok {font-family: ui-monospace, monospace; font-size: 11px; padding: 0 1px;
         border-bottom: 2px solid transparent; white-space: pre}
.rc-tok.hidden {opacity: 0.25; text-decoration: line-through}
.rc-tok.trained {border-bottom-color: #2a9d3a} .rc-tok.distilled {border-bottom-color: #c0392b}
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


def record_html(record: ReflectionRecord, *, style: bool = True) -> str:
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
    return (STYLE if style else "") + f'<div class="rc-record">{meta}{"".join(parts)}</div>'


def encoded_html(enc: Encoded, tokens: Sequence[str], hidden: Sequence[bool] | None = None,
                 *, style: bool = True) -> str:
    """Tokens of one sample: underlined green when trained, red when a distillation target,
    faded and struck through when hidden from the student."""
    spans = []
    for i, tok in enumerate(tokens):
        cls = ["rc-tok"]
        if enc.labels[i] != IGNORE:
            cls.append("trained")
        if enc.final_labels[i] != IGNORE:
            cls.append("distilled")
        if hidden is not None and hidden[i]:
            cls.append("hidden")
        bg = KIND_COLORS.get(KIND_NAMES[enc.kind[i]], "transparent")
        title = f"{i}: {PART_NAMES[enc.part[i]]} / {KIND_NAMES[enc.kind[i]]}"
        spans.append(f'<span class="{" ".join(cls)}" style="background:{bg}" '
                     f'title="{html.escape(title)}">{html.escape(tok)}</span>')
    return (STYLE if style else "") + f'<div class="rc-record">{"".join(spans)}</div>'
