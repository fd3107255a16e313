"""What several test modules share: small problems, records and benchmark rows.

Test modules import from here, never from each other, so each can be run, moved or deleted
on its own.
"""

from __future__ import annotations

import json
from pathlib import Path

from rcwork.problems import Problem
from rcwork.records import Block, Message, Metadata, ReflectionRecord


# ---- synthesis problems

_EASY = [
    ("add", "Write a Python function `add(a, b)` that returns the sum of `a` and `b`.",
     "def add(a, b):\n    return a + b\n", ["assert add(1, 2) == 3", "assert add(-1, 1) == 0",
                                           "assert add(0, 0) == 0"]),
    ("is_even", "Write a Python function `is_even(n)` that returns True if the integer `n` is "
     "even and False otherwise.", "def is_even(n):\n    return n % 2 == 0\n",
     ["assert is_even(2)", "assert not is_even(3)", "assert is_even(0)"]),
    ("reverse", "Write a Python function `reverse(s)` that returns the string `s` reversed.",
     "def reverse(s):\n    return s[::-1]\n",
     ["assert reverse('abc') == 'cba'", "assert reverse('') == ''", "assert reverse('a') == 'a'"]),
    ("maximum", "Write a Python function `maximum(xs)` that returns the largest number in the "
     "non-empty list `xs`.", "def maximum(xs):\n    return max(xs)\n",
     ["assert maximum([1, 3, 2]) == 3", "assert maximum([-5]) == -5",
      "assert maximum([2, 2]) == 2"]),
    ("count_vowels", "Write a Python function `count_vowels(s)` that returns how many of the "
     "characters of `s` are vowels (a, e, i, o, u, either case).",
     "def count_vowels(s):\n    return sum(c in 'aeiouAEIOU' for c in s)\n",
     ["assert count_vowels('Hello') == 2", "assert count_vowels('xyz') == 0",
      "assert count_vowels('AEIOU') == 5"]),
    ("factorial", "Write a Python function `factorial(n)` that returns n! for a non-negative "
     "integer `n`.", "def factorial(n):\n    r = 1\n    for i in range(2, n + 1):\n"
     "        r *= i\n    return r\n",
     ["assert factorial(0) == 1", "assert factorial(5) == 120", "assert factorial(1) == 1"]),
]


def easy_problems(n: int | None = None) -> list[Problem]:
    """Small problems that even a 135M model writes code for; ``n`` > 6 repeats them."""
    n = len(_EASY) if n is None else n
    out = []
    for i in range(n):
        name, instruction, solution, tests = _EASY[i % len(_EASY)]
        out.append(Problem(f"test/{name}/{i:03d}", instruction, name, solution, list(tests)))
    return out


def write_problems(path: Path, problems: list[Problem]) -> Path:
    path.write_text("".join(json.dumps({"task_id": p.task_id, "instruction": p.instruction,
                                        "entry_point": p.entry_point, "solution": p.solution,
                                        "tests": p.tests}) + "\n" for p in problems))
    return path


# ---- reflection records

def make_record(i: int = 0) -> ReflectionRecord:
    """A two-round record (a failed assert, then a fix) whose names depend on ``i``."""
    return ReflectionRecord(
        instruction=f"Write `f{i}(x)` returning x + 1.",
        reflection=[Message("assistant", [
            Block("text", "Plan: add one."),
            Block("code", f"def f{i}(x):\n    return x + 2\nassert f{i}(1) == 2"),
            Block("execution", "AssertionError"),
            Block("text", "Off by one."),
            Block("code", f"def f{i}(x):\n    return x + 1\nassert f{i}(1) == 2\nprint('ok')"),
            Block("execution", "ok\n"),
        ])],
        reanswer_instruction="Give the final code.",
        final=[Block("text", "Final:"), Block("code", f"def f{i}(x):\n    return x + 1")],
        metadata=Metadata(source="test", teacher="hand", rounds=2, resolved=True,
                          extra={"task_id": f"t/{i}", "nested": {"a": [1, 2]}}),
        source_instruction=f"`f{i}(x)` returning x + 1",
    )


# ---- benchmark rows in the EvalPlus forms

def write_jsonl_rows(path: Path, rows: list[dict]) -> Path:
    """Rows as a JSONL file (benchmark files the tests make)."""
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


ADD_PROMPT = 'def add(a: int, b: int) -> int:\n    """Return a + b.\n    >>> add(1, 2)\n    3\n    """\n'
# The hub form of HumanEval+ (evalplus/humanevalplus): `test` defines check(candidate) with the
# base and plus inputs and their expected outputs.


HUMANEVAL_PLUS_HUB = [{
    "task_id": "HumanEval/0", "prompt": ADD_PROMPT, "canonical_solution": "    return a + b\n",
    "entry_point": "add",
    "test": ("def check(candidate):\n    inputs = [[1, 2], [0, 0], [-5, 3], [10**6, 1]]\n"
             "    results = [3, 0, -2, 1000001]\n"
             "    for inp, exp in zip(inputs, results):\n"
             "        assert candidate(*inp) == exp\n"),
}]


# The release form (HumanEvalPlus-v0.1.x.jsonl.gz): inputs, no expected outputs.
HUMANEVAL_PLUS_RELEASE = [{
    "task_id": "HumanEval/1",
    "prompt": 'def mean(xs: list) -> float:\n    """Arithmetic mean of a non-empty list."""\n',
    "entry_point": "mean", "canonical_solution": "    return sum(xs) / len(xs)\n",
    "contract": "", "base_input": [[[1.0, 2.0]], [[3]]],
    "plus_input": [[[0.1, 0.2, 0.3]], [[1e9, -1e9, 1.0]]], "atol": 0,
    "test": "def check(candidate):\n    assert candidate([1.0, 2.0]) == 1.5\n",
}]


MBPP_PLUS_HUB = [{
    "task_id": 3, "code": "import math\ndef is_not_prime(n):\n    if n < 2:\n        return True\n"
    "    return any(n % i == 0 for i in range(2, int(math.sqrt(n)) + 1))\n",
    "prompt": "Write a python function to identify non-prime numbers.", "source_file": "x",
    "test_imports": [], "test_list": ["assert is_not_prime(2) == False", "assert is_not_prime(10) == True"],
    "test": ("inputs = [[2], [10], [35], [37]]\nresults = [False, True, True, False]\n"
             "for i, (inp, exp) in enumerate(zip(inputs, results)):\n"
             "    assert is_not_prime(*inp) == exp\n"),
}]


MBPP_PLUS_RELEASE = [{
    "task_id": "Mbpp/4",
    "prompt": '"""\nWrite a function to find the n largest integers from a given list of numbers, '
              'returned in descending order.\nassert heap_queue_largest( [25, 35, 22, 85, 14, 65, '
              '75, 22, 58],3)==[85, 75, 65]\n"""\n',
    "entry_point": "heap_queue_largest",
    "canonical_solution": "import heapq as hq\ndef heap_queue_largest(nums: list,n: int) -> list:\n"
                          "  largest_nums = hq.nlargest(n, nums)\n  return largest_nums\n",
    "base_input": [[[25, 35, 22, 85, 14, 65, 75, 22, 58], 3]],
    "plus_input": [[[1, 2, 3], 2], [[5, 5, 5], 1]], "atol": 0, "contract": "",
}]
