"""One problem of any benchmark, in the shape generation and scoring use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rcwork.sandbox.verdicts import TestSpec


HUMANEVAL_INSTRUCTION = "Write a complete Python function for the problem.\n\n"


MBPP_ASSERTION_LEAD = "\nYour code should satisfy the following assertion:\n```python\n"


class BenchmarkUnavailable(RuntimeError):
    """No local file for a benchmark and the hub could not provide it."""


@dataclass
class BenchmarkProblem:
    """One problem of any benchmark, in the shape generation and scoring use.

    ``prompt`` is the code a plain completion continues (HumanEval: imports, signature and
    docstring; MBPP: a docstring with the description and one assert; empty for instruction-only
    sets).  ``instruction`` is the user-message text for chat and paper prompts.  ``test`` is the
    code appended after a solution; with ``check_call`` it defines ``check(candidate)`` and the
    program ends with ``check(entry_point)``.  ``reference`` is a complete correct program.
    """

    task_id: str
    prompt: str
    instruction: str
    entry_point: str
    test: str
    check_call: bool = False
    reference: str = ""
    benchmark: str = ""

    @property
    def prompt_is_code(self) -> bool:
        """Whether ``prompt`` declares the entry point, so a completion continues its body."""
        return bool(re.search(rf"^\s*def\s+{re.escape(self.entry_point)}\s*\(", self.prompt,
                              re.M))

    def solution_of(self, sample: dict[str, Any]) -> str:
        """The full candidate program of a sample line: ``solution`` as is, else
        ``prompt + completion`` (EvalPlus's rule)."""
        if isinstance(sample.get("solution"), str):
            return sample["solution"]
        if isinstance(sample.get("completion"), str):
            return self.prompt + sample["completion"]
        raise ValueError(f"sample for {self.task_id} has neither 'solution' nor 'completion'")

    def test_spec(self, solution: str) -> TestSpec:
        """What the sandbox's tester needs to judge ``solution``: the tests run in a process of
        their own, beside the prompt's helpers (HumanEval's ``poly``, ``encode_cyclic``), and
        call the solution, which runs in another (:mod:`rcwork.sandbox.verdicts`). Problem files
        drive the solution's own classes, so for them operators on its objects are forwarded."""
        return TestSpec(candidate=solution, test=self.test, entry_point=self.entry_point,
                        prelude=self.prompt if self.prompt_is_code else "",
                        check_call=self.check_call, objects=self.benchmark == "problems")

    def test_program(self, solution: str) -> str:
        """The program that passes iff ``solution`` passes this problem's tests."""
        program = solution + "\n" + self.test + "\n"
        if self.check_call:
            program += f"check({self.entry_point})\n"
        return program
