"""MBPP and MBPP+: Google's files, EvalPlus's hub and release forms (see
:mod:`rcwork.evaluation.data`); task ids normalised to ``Mbpp/<n>``, the entry point read from
the reference code and the asserts."""

from __future__ import annotations

import ast
import builtins
import os
import re
from pathlib import Path
from typing import Any

from rcwork.evaluation.data.files import _hub_records, read_records
from rcwork.evaluation.data.oracle import differential_test
from rcwork.evaluation.data.problem import MBPP_ASSERTION_LEAD, BenchmarkProblem


_BUILTIN_NAMES = set(dir(builtins)) | {"math", "re"}


def _top_level_functions(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return re.findall(r"^def\s+(\w+)\s*\(", code, re.M)
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def infer_entry_point(code: str, asserts: list[str]) -> str:
    """The function an MBPP-style problem's asserts call: a top-level def of the reference
    that the first assert names, else the first non-builtin name the assert calls."""
    first = asserts[0] if asserts else ""
    for name in _top_level_functions(code):
        if re.search(rf"\b{re.escape(name)}\s*\(", first):
            return name
    for name in re.findall(r"(?<![.\w])([A-Za-z_]\w*)\s*\(", first):  # not x.attr(
        if name not in _BUILTIN_NAMES:
            return name
    defs = _top_level_functions(code)
    if defs:
        return defs[-1]
    raise ValueError(f"cannot tell the entry point from {first!r}")


def _mbpp_task_id(raw: Any) -> str:
    s = str(raw)
    return s if s.startswith("Mbpp/") else f"Mbpp/{s}"


def _mbpp_instruction(description: str, assertion: str) -> str:
    return description.strip() + MBPP_ASSERTION_LEAD + assertion.strip() + "\n```"


def _mbpp_prompt(description: str, assertion: str) -> str:
    """EvalPlus's MBPP+ prompt: a docstring with the description and one assert."""
    return f'"""\n{description.strip()}\n{assertion.strip()}\n"""\n'


def _split_mbpp_prompt(prompt: str) -> tuple[str, str]:
    """(description, first assert) of an EvalPlus MBPP+ docstring prompt."""
    body = prompt.strip().strip('"').strip()
    lines = [ln for ln in body.splitlines() if ln.strip()]
    asserts = [ln for ln in lines if ln.lstrip().startswith("assert")]
    desc = "\n".join(ln for ln in lines if not ln.lstrip().startswith("assert"))
    return desc, (asserts[0] if asserts else "")


def _mbpp_problem(rec: dict[str, Any]) -> BenchmarkProblem:
    """Google's MBPP (sanitized ``prompt`` or full ``text``)."""
    description = rec.get("prompt") or rec.get("text") or ""
    code = rec["code"]
    asserts = list(rec["test_list"])
    entry = rec.get("entry_point") or infer_entry_point(code, asserts)
    setup = "\n".join([rec.get("test_setup_code") or "", *(rec.get("test_imports") or [])])
    return BenchmarkProblem(
        task_id=_mbpp_task_id(rec["task_id"]), prompt=_mbpp_prompt(description, asserts[0]),
        instruction=_mbpp_instruction(description, asserts[0]), entry_point=entry,
        test=(setup.strip() + "\n\n" if setup.strip() else "") + "\n".join(asserts),
        reference=code, benchmark="mbpp")


def load_mbpp(path: str | Path | None = None) -> list[BenchmarkProblem]:
    if path:
        records = read_records(path)
    else:
        records = _hub_records("google-research-datasets/mbpp", config="sanitized",
                               splits=("train", "test", "validation", "prompt"))
        records.sort(key=lambda r: int(r["task_id"]))
    return [_mbpp_problem(r) for r in records]


def _mbpp_plus_problem(rec: dict[str, Any]) -> BenchmarkProblem:
    prompt = rec.get("prompt") or ""
    if prompt.lstrip().startswith('"""'):
        description, first_assert = _split_mbpp_prompt(prompt)
    else:  # the hub form's prompt is the bare description
        description, first_assert = prompt, ""
    asserts = list(rec.get("test_list") or [])
    first_assert = first_assert or (asserts[0] if asserts else "")
    reference = rec.get("canonical_solution") or rec.get("code") or ""
    entry = rec.get("entry_point") or infer_entry_point(reference, [first_assert, *asserts])
    common = dict(task_id=_mbpp_task_id(rec["task_id"]),
                  prompt=_mbpp_prompt(description, first_assert),
                  instruction=_mbpp_instruction(description, first_assert), entry_point=entry,
                  reference=reference, benchmark="mbpp+")
    if "plus_input" in rec or "base_input" in rec:
        inputs = list(rec.get("base_input") or []) + list(rec.get("plus_input") or [])
        return BenchmarkProblem(
            **common, test=differential_test(entry, reference, inputs, rec.get("atol", 0)))
    if rec.get("test"):
        imports = "\n".join(rec.get("test_imports") or [])
        return BenchmarkProblem(**common, test=(imports + "\n\n" if imports else "") + rec["test"],
                                check_call=bool(re.search(r"^def check\(", rec["test"], re.M)))
    raise ValueError(f"MBPP+ record {rec['task_id']} has neither 'test' nor 'plus_input'")


def load_mbpp_plus(path: str | Path | None = None) -> list[BenchmarkProblem]:
    path = path or os.environ.get("MBPP_OVERRIDE_PATH")
    records = read_records(path) if path else _hub_records("evalplus/mbppplus")
    return [_mbpp_plus_problem(r) for r in records]
