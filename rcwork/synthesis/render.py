"""A reflection record as Markdown: the sequence the student will learn from, readable."""

from __future__ import annotations

from rcwork.records import Block, ReflectionRecord

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
