"""Programming problems with tests: what synthesis solves and evaluation scores.

A problem file is JSONL, one problem per line::

    {"task_id": "rc/strings/001", "instruction": "...", "entry_point": "slugify",
     "solution": "def slugify(s): ...", "tests": ["assert slugify('A b') == 'a-b'", ...]}

``instruction`` says what to write (naming the function), ``solution`` is a reference solution,
``tests`` are standalone assert statements.  ``python -m rcwork.problems check DIR`` runs every
reference solution against its tests.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rcwork.jsonl import check_file, read_json_lines
from rcwork.records import RecordError


@dataclass
class Problem:
    task_id: str
    instruction: str
    entry_point: str
    solution: str
    tests: list[str]
    tags: list[str] = field(default_factory=list)

    def test_program(self, code: str | None = None) -> str:
        """A standalone program: the candidate code (the reference by default), then the tests."""
        body = self.solution if code is None else code
        return body.rstrip() + "\n\n\n" + "\n".join(self.tests) + "\n"


_REQUIRED = {"task_id": str, "instruction": str, "entry_point": str, "solution": str}


def parse_problem(obj: Any, *, source: str = "<memory>", line: int | None = None) -> Problem:
    def fail(f: str, why: str) -> RecordError:
        return RecordError(why, source=source, line=line, field=f)

    if not isinstance(obj, dict):
        raise fail("<record>", f"expected an object, got {type(obj).__name__}")
    for key, typ in _REQUIRED.items():
        if key not in obj:
            raise fail(key, "missing")
        if not isinstance(obj[key], typ):
            raise fail(key, f"expected {typ.__name__}, got {type(obj[key]).__name__}")
        if not obj[key].strip():
            raise fail(key, "empty")
    tests = obj.get("tests")
    if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
        raise fail("tests", "expected a list of strings")
    if len(tests) < 3:
        raise fail("tests", f"need at least 3 tests, got {len(tests)}")
    tags = obj.get("tags", [])
    if not isinstance(tags, list):
        raise fail("tags", "expected a list")
    return Problem(obj["task_id"], obj["instruction"], obj["entry_point"], obj["solution"],
                   list(tests), list(tags))


def load_problems(path: str | Path) -> list[Problem]:
    """Load one JSONL file or every ``*.jsonl`` in a directory; task ids must be unique and
    there must be at least one problem."""
    path = Path(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [check_file(path)]
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for f in files:
        for lineno, obj in read_json_lines(f):
            p = parse_problem(obj, source=str(f), line=lineno)
            if p.task_id in seen:
                raise RecordError(f"duplicate task_id (first in {seen[p.task_id]})",
                                  source=str(f), line=lineno, field="task_id")
            seen[p.task_id] = f"{f}:{lineno}"
            problems.append(p)
    if not problems:
        raise RecordError("no problems (an empty file, or a folder without *.jsonl files)",
                          source=str(path))
    return problems


def _check(path: str) -> int:
    """Run each reference solution with its tests in a subprocess; report failures."""
    import subprocess

    problems = load_problems(path)
    bad = 0
    for p in problems:
        proc = subprocess.run([sys.executable, "-c", p.test_program()], capture_output=True,
                              text=True, timeout=30)
        if proc.returncode != 0:
            bad += 1
            print(f"FAIL {p.task_id}: {proc.stderr.strip().splitlines()[-1:]}")
    print(f"{len(problems) - bad}/{len(problems)} reference solutions pass their tests")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m rcwork.problems")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="run every reference solution against its tests")
    c.add_argument("path")
    args = ap.parse_args(argv)
    return _check(args.path)


if __name__ == "__main__":
    raise SystemExit(main())
