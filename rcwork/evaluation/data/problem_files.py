"""rcwork's own problem files (:mod:`rcwork.problems`) as a benchmark."""

from __future__ import annotations

from pathlib import Path

from rcwork.evaluation.data.problem import BenchmarkProblem
from rcwork.problems import load_problems


def load_problem_set(path: str | Path) -> list[BenchmarkProblem]:
    """rcwork problem files (a JSONL file or a folder of them) as benchmark problems."""
    return [BenchmarkProblem(task_id=p.task_id, prompt="", instruction=p.instruction,
                             entry_point=p.entry_point, test="\n".join(p.tests),
                             reference=p.solution, benchmark="problems")
            for p in load_problems(path)]
