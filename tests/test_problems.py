"""The seed problems: enough of them, well formed, and every reference solution passes."""

import json

import pytest

from rcwork.problems import load_problems
from rcwork.records import RecordError
from rcwork.paths import project_root

PROBLEMS = project_root() / "data" / "problems"


def test_seed_problem_set_shape():
    problems = load_problems(PROBLEMS)
    assert len(problems) >= 150
    assert all(len(p.tests) >= 3 for p in problems)
    assert len({p.task_id for p in problems}) == len(problems)
    assert all(p.entry_point in p.solution for p in problems)


def test_every_reference_solution_passes_its_tests():
    from rcwork.sandbox import run_programs

    problems = load_problems(PROBLEMS)
    results = run_programs([p.test_program() for p in problems], workers=2, timeout_s=30)
    failed = [(p.task_id, r.status, r.stderr[-300:]) for p, r in zip(problems, results)
              if r.status != "passed"]
    assert not failed


def test_wrong_solution_fails_its_tests():
    from rcwork.sandbox import run_program

    p = load_problems(PROBLEMS)[0]
    wrong = f"def {p.entry_point}(*args, **kwargs):\n    return object()\n"
    assert run_program(p.test_program(wrong), timeout_s=30).status in ("failed", "error")


def test_bad_problem_file_names_line_and_field(tmp_path):
    good = {"task_id": "a", "instruction": "x", "entry_point": "f", "solution": "def f(): pass",
            "tests": ["assert 1", "assert 1", "assert 1"]}
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "task_id": "b",
                                                          "tests": ["assert 1"]}) + "\n")
    with pytest.raises(RecordError, match=r"p.jsonl:2: field tests: need at least 3"):
        load_problems(path)
    path.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n")
    with pytest.raises(RecordError, match=r"p.jsonl:2: field task_id: duplicate"):
        load_problems(path)
