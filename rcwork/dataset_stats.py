"""Summary statistics of a set of reflection records (what 02_inspect and the report show)."""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from rcwork.records import ReflectionRecord


def summarize(records: Sequence[ReflectionRecord], tokenizer=None) -> dict:
    """Counts by rounds, resolution and block kind; token lengths when a tokenizer is given."""
    kinds: Counter = Counter()
    for r in records:
        kinds.update(b.kind for b in r.reflection_blocks)
    out = {
        "records": len(records),
        "resolved": sum(r.metadata.resolved for r in records),
        "rounds": dict(sorted(Counter(r.metadata.rounds for r in records).items())),
        "blocks": dict(kinds),
        "sources": dict(Counter(r.metadata.source for r in records)),
    }
    if tokenizer is not None:
        from rcwork.encoding import encode_record

        out["teacher_tokens"] = [len(encode_record(r, tokenizer).teacher) for r in records]
    return out
