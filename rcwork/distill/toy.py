"""Small synthetic reflection records: for unit tests, distributed smoke runs and dry runs.

They have the real shape (instruction, reflection messages of text / code / execution blocks,
re-answer instruction, final code) and vary in length and block order, but they are generated,
not synthesised by a teacher: use the seed data (``data/reflections/seed.jsonl``) for anything
that measures learning.
"""

from __future__ import annotations

import random

from rcwork.records import Block, InstructionPair, Message, Metadata, ReflectionRecord

_TASKS = [
    ("add", "Write a function add(a, b) that returns the sum of two numbers.",
     "def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b",
     "assert add(2, 3) == 5"),
    ("square", "Write a function square(x) that returns x squared.",
     "def square(x):\n    return x * 2", "def square(x):\n    return x * x",
     "assert square(4) == 16"),
    ("last", "Write a function last(xs) that returns the last element of a list.",
     "def last(xs):\n    return xs[0]", "def last(xs):\n    return xs[-1]",
     "assert last([1, 2, 3]) == 3"),
    ("is_even", "Write a function is_even(n) that tells whether n is even.",
     "def is_even(n):\n    return n % 2 == 1", "def is_even(n):\n    return n % 2 == 0",
     "assert is_even(4)"),
    ("rev", "Write a function rev(s) that reverses a string.",
     "def rev(s):\n    return s", "def rev(s):\n    return s[::-1]",
     "assert rev('abc') == 'cba'"),
    ("count_a", "Write a function count_a(s) that counts the letters 'a' in s.",
     "def count_a(s):\n    return len(s)", "def count_a(s):\n    return s.count('a')",
     "assert count_a('banana') == 3"),
]

# RI wraps the task in a reflection prompt, as synthesis does, so RI differs from I.
REFLECT = "{task}\n\nSolve it, test your code with asserts, and fix it until they pass."
REANSWER = "Now give the final, standalone code for the original task, without the tests."


def toy_record(i: int, seed: int = 0) -> ReflectionRecord:
    """The i-th toy record: a wrong first try, its failing execution, an analysis, a fix."""
    rng = random.Random(f"{seed}/{i}")
    name, task, wrong, right, test = _TASKS[i % len(_TASKS)]
    analysis = rng.choice(["The assertion failed, so the formula is wrong.",
                           "The test fails: the function returns the wrong value for the "
                           "example, so the operation must be fixed.",
                           "Wrong result. Let me look at the operation again."])
    first = Message("assistant", [
        Block("text", "I will write the function and test it."),
        Block("code", f"{wrong}\n\n{test}"),
        Block("execution", "Traceback (most recent call last):\n  File \"<cell>\", line 4\n"
                           "AssertionError"),
    ])
    second = Message("assistant", [
        Block("text", analysis),
        Block("code", f"{right}\n\n{test}\nprint('ok')"),
        Block("execution", "ok"),
    ])
    reflection = [first, second] if rng.random() < 0.5 else [
        Message("assistant", first.blocks + second.blocks)]
    final = [Block("code", right)]
    if rng.random() < 0.3:
        final = [Block("text", "Here is the function."), Block("code", right)]
    source = f"{task} (#{i})"
    return ReflectionRecord(REFLECT.format(task=source), reflection, REANSWER, final,
                            Metadata(source="toy", teacher="none", rounds=2, resolved=True),
                            source_instruction=source)


def toy_records(n: int, seed: int = 0) -> list[ReflectionRecord]:
    return [toy_record(i, seed) for i in range(n)]


def toy_pairs(n: int, seed: int = 0) -> list[InstructionPair]:
    """Instruction data: the same tasks answered directly."""
    out = []
    for i in range(n):
        _, task, _, right, _ = _TASKS[(i + seed) % len(_TASKS)]
        out.append(InstructionPair(task, [Block("code", right)], Metadata(source="toy")))
    return out
