"""Instruction data from rcwork's problems: one (instruction, reference solution) pair each.

Reflection self-distillation mixes reflection records with plain instruction data (trained with
next-token prediction only), and the paper's "w/o reflection data" ablation trains on the
instruction data alone.  rcwork's 156 problems (``data/problems``) each carry a reference
solution, so they make that instruction data without a download.

The pairs must stay apart from what is measured.  Held-out NLL is measured on held-out seed
reflection records, and some seed records solve one of the 156 problems (the same function):
:func:`problem_pairs` drops every problem whose function name (``entry_point``) a record of
``exclude`` mentions, whatever the held-out split (with the seed records: 26 dropped, 130 kept).  Evaluation benchmarks (HumanEval(+),
MBPP(+)) share no problem with ``data/problems``; evaluating on ``--benchmark problems`` itself
would, so do not mix these pairs into such a run (``docs/sweeps.md``).

Written as the ``messages`` JSONL that :func:`rcwork.records.read_pairs_jsonl` reads: a user
message with the instruction and an assistant message with the solution as one code block,
the shape of a reflection record's final answer.

A share of the kept problems (``heldout``, chosen by a hash of each task id, so the split
never depends on a seed, an order or which other problems exist) is written to a second file
instead: those are never trained on, and a sweep measures every point's NLL of their reference
solutions (:mod:`rcwork.sweep.heldout`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Iterable, Sequence

from rcwork.jsonl import write_jsonl
from rcwork.paths import PROBLEMS, SEED_RECORDS, project_path
from rcwork.problems import Problem, load_problems
from rcwork.records import Block, InstructionPair, Metadata, ReflectionRecord, read_records


def mentions(problem: Problem, texts: Iterable[str]) -> bool:
    """Whether any text names the problem's function as a whole word."""
    pattern = re.compile(rf"\b{re.escape(problem.entry_point)}\b")
    return any(pattern.search(t) for t in texts)


def problem_pairs(problems: Sequence[Problem], exclude: Sequence[ReflectionRecord] = ()
                  ) -> tuple[list[InstructionPair], list[str]]:
    """``(pairs, excluded task ids)``: a pair per problem that no record of ``exclude`` solves."""
    texts = [r.source_instruction for r in exclude]
    pairs, excluded = [], []
    for p in problems:
        if mentions(p, texts):
            excluded.append(p.task_id)
            continue
        pairs.append(InstructionPair(p.instruction, [Block("code", p.solution.rstrip() + "\n")],
                                     Metadata(source="rcwork-problems",
                                              extra={"task_id": p.task_id})))
    return pairs, excluded


def is_heldout(task_id: str, fraction: float) -> bool:
    """Whether a problem belongs to the held-out share ``fraction``: the task id's SHA-1 read
    as a number in [0, 1), so a problem keeps its side whatever else is in the file."""
    return int(hashlib.sha1(task_id.encode()).hexdigest()[:12], 16) / 16 ** 12 < fraction


def pair_to_json(pair: InstructionPair) -> dict:
    """The two-message ``messages`` shape of instruction data."""
    return {"messages": [
        {"role": "user", "content": [{"type": "text", "content": pair.instruction}]},
        {"role": "assistant", "content": [{"type": b.kind, "content": b.content}
                                          for b in pair.response]}],
        "metadata": {"source": pair.metadata.source, **pair.metadata.extra}}


def write_problem_pairs(path: str | Path, problems: str | Path = PROBLEMS,
                        exclude: Sequence[str | Path] = (SEED_RECORDS,), *,
                        heldout: float = 0.0, heldout_path: str | Path | None = None) -> dict:
    """Write the pairs of ``problems`` not solved by a record of the ``exclude`` files to
    ``path`` (JSONL), all but the ``heldout`` share (:func:`is_heldout`), which goes to
    ``heldout_path``; returns counts and the excluded and held-out task ids (for the run's
    record).  Relative inputs start at the project root (:mod:`rcwork.paths`)."""
    if heldout and heldout_path is None:
        raise ValueError("heldout > 0 needs heldout_path: where the held-out pairs go")
    problems, exclude = project_path(problems), [project_path(e) for e in exclude]
    records = [r for f in exclude for r in read_records(f)]
    pairs, excluded = problem_pairs(load_problems(problems), records)
    held = [p for p in pairs if is_heldout(p.metadata.extra["task_id"], heldout)]
    train = [p for p in pairs if not is_heldout(p.metadata.extra["task_id"], heldout)]
    write_jsonl(path, (pair_to_json(pair) for pair in train))
    if heldout_path is not None:
        write_jsonl(heldout_path, (pair_to_json(pair) for pair in held))
    return {"path": str(path), "problems": str(problems), "exclude": [str(e) for e in exclude],
            "pairs": len(train), "excluded": excluded, "heldout_fraction": heldout,
            "heldout_path": None if heldout_path is None else str(heldout_path),
            "heldout": [p.metadata.extra["task_id"] for p in held]}
