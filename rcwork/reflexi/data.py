"""Training data for GRPO: problems with tests as conversational prompts, and a held-out split.

A row is ``{"prompt": [system, user], "task_id", "entry_point", "test", "check_call"}``: the
prompt GRPOTrainer samples completions for, and the columns the rewards rebuild the problem's
test program from (:mod:`rcwork.reflexi.execution`).  Any benchmark
:func:`rcwork.evaluation.load_benchmark` reads works — rcwork's problem files (the default),
HumanEval(+), MBPP(+) or an EvalPlus-style file — because they all become
:class:`~rcwork.evaluation.BenchmarkProblem`.

The held-out problems are drawn once with a seeded shuffle and never reach the trainer; pass@1
before and after training is measured on them.
"""

from __future__ import annotations

import random
from typing import Any, Sequence

from rcwork.evaluation.data import BenchmarkProblem, load_benchmark


def load_training_problems(benchmark: str, path: str | None, limit: int | None = None
                           ) -> list[BenchmarkProblem]:
    """The problems of a benchmark (``path``: a local file or folder; see load_benchmark)."""
    problems = load_benchmark(benchmark, path, limit=limit)
    if not problems:
        raise ValueError(f"no problems in {benchmark} ({path})")
    return problems


def split_problems(problems: Sequence[BenchmarkProblem], heldout: float, *, seed: int = 0
                   ) -> tuple[list[BenchmarkProblem], list[BenchmarkProblem]]:
    """(training, held out): ``heldout`` is a fraction (< 1) or a count; order is kept."""
    count = int(round(heldout * len(problems))) if heldout < 1 else int(heldout)
    if count >= len(problems):
        raise ValueError(f"holding out {count} of {len(problems)} problems leaves none to train on")
    chosen = set(random.Random(seed).sample(range(len(problems)), count))
    train = [p for i, p in enumerate(problems) if i not in chosen]
    held = [p for i, p in enumerate(problems) if i in chosen]
    return train, held


def chat_prompt(problem: BenchmarkProblem, system_prompt: str) -> list[dict[str, str]]:
    """The conversation a completion answers: the format rules, then the problem."""
    return [{"role": "system", "content": system_prompt},
            {"role": "user", "content": problem.instruction}]


def problem_row(problem: BenchmarkProblem, system_prompt: str) -> dict[str, Any]:
    return {"prompt": chat_prompt(problem, system_prompt), "task_id": problem.task_id,
            "entry_point": problem.entry_point, "test": problem.test,
            "check_call": problem.check_call}


def grpo_dataset(problems: Sequence[BenchmarkProblem], system_prompt: str):
    """A ``datasets.Dataset`` of :func:`problem_row` rows for GRPOTrainer."""
    from datasets import Dataset

    return Dataset.from_list([problem_row(p, system_prompt) for p in problems])
