"""Lesson 01's pictures and the report's synthesis section: filter statistics, rounds, and
records as Markdown.
"""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go

from rcwork.display.html import missing_section
from rcwork.display.records import record_html
from rcwork.records import Block, ReflectionRecord
from rcwork.stage_files import SynthesisSummary
from rcwork.synthesis.store import read_run


def synthesis_figures(summary: SynthesisSummary) -> list[go.Figure]:
    """Kept records and filtered ones by reason (a record can have several), and rounds per
    sequence for all records and for the kept ones."""
    reasons = summary.filter_reasons
    a = go.Figure(go.Bar(x=["kept", *reasons], y=[summary.kept, *reasons.values()],
                         marker_color=["seagreen"] + ["indianred"] * len(reasons)))
    a.update_layout(title=f"{summary.records} records: kept, and filtered by reason",
                    yaxis_title="records", height=350)
    hist, kept_hist = summary.rounds_histogram, summary.rounds_histogram_kept
    rounds = sorted({*map(int, hist), *map(int, kept_hist)})
    b = go.Figure([go.Bar(name="all", x=rounds, y=[hist.get(str(r), 0) for r in rounds]),
                   go.Bar(name="kept", x=rounds, y=[kept_hist.get(str(r), 0) for r in rounds])])
    b.update_layout(title="rounds per sequence", xaxis_title="rounds", yaxis_title="records",
                    barmode="group", height=350)
    return [a, b]


_LABEL = {"text": "analysis", "code": "code", "execution": "execution"}


def _block_md(b: Block, max_chars: int) -> str:
    body = b.content if len(b.content) <= max_chars else b.content[:max_chars] + "\n… (cut)"
    if b.kind == "code":
        return f"```python\n{body}\n```"
    if b.kind == "execution":
        return f"```text\n{body or '(no output)'}\n```"
    return body


def format_record(record: ReflectionRecord, *, max_chars: int = 1500) -> str:
    """Markdown: header with the metadata, the instruction, each block labelled, the final
    answer.  Long blocks are cut at ``max_chars``."""
    m = record.metadata
    extra = m.extra
    head = (f"### {extra.get('task_id', m.source)} — {m.rounds} round(s), "
            f"{'resolved' if m.resolved else 'unresolved'}")
    reasons = extra.get("filter_reasons")
    info = [f"teacher `{m.teacher}`", f"problem tests: {extra.get('hidden_tests_passed')}",
            f"final answer tests: {extra.get('final_tests_passed')}"]
    if reasons:
        info.append("filtered: " + ", ".join(reasons))
    parts = [head, " · ".join(info), f"**Instruction.** {record.instruction}",
             "**Reflection sequence.**"]
    for msg in record.reflection:
        for b in msg.blocks:
            parts.append(f"*{_LABEL[b.kind]}*\n\n{_block_md(b, max_chars)}")
    parts.append(f"**Re-answer instruction.** {record.reanswer_instruction}")
    parts.append("**Final answer.**")
    parts += [_block_md(b, max_chars) for b in record.final]
    return "\n\n".join(parts)


def synthesis_section(d: Path) -> list[str | go.Figure]:
    """Synthesis: counts, kept/filtered figures and one kept record, from ``summary.json``."""
    parts: list[str | go.Figure] = ["<h2>1 · Synthesis of reflection sequences</h2>"]
    summary = SynthesisSummary.read_if_exists(d)
    if summary is None:
        return parts + [missing_section(SynthesisSummary.path_in(d))]
    parts.append(f"<p>{summary.records} problems processed: {summary.kept} records kept, "
                 f"{summary.filtered} filtered, {summary.resolved} resolved.  Teacher: "
                 f"{html.escape(summary.teacher)}.</p>")
    parts += synthesis_figures(summary)
    kept = read_run(d)
    if kept:
        parts.append("<p>A kept sequence:</p>" + record_html(kept[0], style=False))
    return parts
