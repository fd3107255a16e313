"""Synthesis's hidden and final tests are judged outside the teacher's kernel: a teacher's cell
that rebinds ``exec`` cannot make a wrong solution pass (and be kept), and a correct solution
that defines a global ``compile`` is not filtered as failing."""

from __future__ import annotations

import pytest

from rcwork.problems import Problem
from rcwork.synthesis import FilterConfig, KernelHandle, LoopConfig, filter_reasons, synthesize_problem
from rcwork.synthesis.filters import HIDDEN_TESTS_FAILED
from rcwork.teachers import ScriptedTeacher

pytestmark = [pytest.mark.timeout(300)]

ADD = Problem("test/add/000", "Write a Python function `add(a, b)` that returns the sum of `a` and `b`.",
              "add", "def add(a, b):\n    return a + b\n",
              ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"])
STRICT = FilterConfig(single_round=False, require_hidden_tests=True)

WRONG = "def add(a, b):\n    return 42\nassert add(1, 2) == 42\n"
REBINDS_BUILTIN_EXEC = "import builtins\nbuiltins.exec = lambda *a, **k: None\nbuiltins.compile = lambda *a, **k: None\n"
REBINDS_GLOBAL_EXEC = "exec = lambda *a, **k: None\n"
CORRECT_WITH_COMPILE = "def compile(pattern):\n    return pattern\ndef add(a, b):\n    return a + b\nassert add(1, 2) == 3\n"


@pytest.fixture(scope="module")
def pool():
    from rcwork.sandbox import KernelPool, Limits

    p = KernelPool(2, Limits())
    yield p
    p.close()


def _teacher(code: str, final: str) -> ScriptedTeacher:
    def respond(conversation):
        if "final answer" in conversation[-1]["content"]:
            return f"The answer.\n```python\n{final}```"
        return f"Let me write it.\n```python\n{code}```"
    return ScriptedTeacher(respond, name="scripted-verdicts")


def _record(pool, code: str, final: str):
    with KernelHandle(pool.session) as kernel:
        return synthesize_problem(ADD, _teacher(code, final), kernel, LoopConfig(max_rounds=2))


@pytest.mark.parametrize("rebind", [REBINDS_BUILTIN_EXEC, REBINDS_GLOBAL_EXEC], ids=["builtins", "global"])
def test_a_teacher_cell_rebinding_exec_cannot_pass_a_wrong_solution(pool, rebind) -> None:
    rec = _record(pool, rebind + WRONG, WRONG)
    assert rec.metadata.resolved  # its own assert passed in its kernel
    assert rec.metadata.extra["hidden_tests_passed"] is False
    assert rec.metadata.extra["final_tests_passed"] is False
    assert HIDDEN_TESTS_FAILED in filter_reasons(rec, STRICT)


def test_a_correct_solution_defining_compile_passes(pool) -> None:
    rec = _record(pool, CORRECT_WITH_COMPILE, CORRECT_WITH_COMPILE)
    assert rec.metadata.extra["hidden_tests_passed"] is True
    assert rec.metadata.extra["final_tests_passed"] is True
    assert filter_reasons(rec, STRICT) == []
