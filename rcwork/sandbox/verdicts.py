"""Test verdicts that the code under test cannot forge.

Running a solution and its tests in one process lets the solution decide the verdict: it can
write the harness's "passed" line itself and exit, rewrite the test with ``sys.settrace``, return
an object whose ``__eq__`` is always true, or read the expected answers from its own namespace.
Each of these is one instance of the same flaw, so the fix is where the verdict is made:

- **Two processes.** In the sandbox, a trusted tester (``_tester.py``, which the program the
  sandbox runs calls) forks the candidate's process before it has read anything secret, then reads the test
  specification (tests, prompt helpers, reference solution) from stdin. The candidate's process
  gets /dev/null for stdin, stdout and stderr and no other descriptor; the tester is
  non-dumpable, so a process of the same uid cannot trace it or read its memory or descriptors.
- **Plain data between them.** The tests call the candidate through proxies; arguments and
  results cross a socket as JSON-encoded builtin values and are rebuilt on the other side, so the
  test compares builtin values with builtin ``==`` (EvalPlus's equality, floats within the
  benchmark's tolerance where the test says so). Anything else the candidate returns is an opaque
  handle that never equals plain data.
- **A private channel.** The tester alone writes the sandbox's stdout; its verdict line starts
  with a per-run secret nonce that only the tester is given. No line with the nonce: no verdict,
  and the sample is an error, whatever the exit status says.
- **No answers on disk.** The sandbox sees a minimal root: the system directories and the Python
  installation, with the project tree and benchmark data shipped inside packages not mounted (see
  :mod:`rcwork.sandbox.sandbox`).

What remains the candidate's to decide is what its own objects do when the *test* drives them:
with ``objects=True`` (problem files whose tests build the candidate's classes and compare them
with each other), operators on the candidate's objects run in its process. Benchmarks
(HumanEval, HumanEval+, MBPP, MBPP+) never need that and run with it off.
"""

from __future__ import annotations

import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Iterable

from rcwork.sandbox.limits import Limits
from rcwork.sandbox.programs import ProgramResult, run_program
from rcwork.sandbox.sandbox import Sandbox, default_sandbox

# The sandbox server has loaded _tester.py already (compiled once, not per sample).
_TESTER = "import sys\nsys.modules['_rcwork_sandbox__tester'].main()\n"
_DETAIL_CHARS = 500


@dataclass(frozen=True)
class TestSpec:
    """One candidate and the tests it must pass.

    ``candidate`` is untrusted source (a whole program defining ``entry_point``); ``prelude`` is
    trusted code run before the tests in the tester's namespace (HumanEval's prompt, whose helpers
    such as ``poly`` the tests call); ``test`` is the test code, where ``entry_point`` and the
    candidate's other top-level functions are proxies; ``check_call`` calls
    ``check(entry_point)`` afterwards (HumanEval's shape). ``objects``: see the module docstring.
    """

    __test__ = False  # not a pytest class

    candidate: str
    test: str
    entry_point: str
    prelude: str = ""
    check_call: bool = False
    objects: bool = False


@dataclass
class Verdict:
    """How a candidate fared: ``status`` is passed / failed (an assertion failed) / error / timeout.

    ``line`` and ``detail`` point at the failing assert (a line of the test code) or, for an error
    raised in the candidate, the line of the candidate where it was raised (``where`` says which).
    """

    status: str
    detail: str = ""
    line: int | None = None
    exception: str = ""
    where: str = ""
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def run_tests(spec: TestSpec, *, limits: Limits | None = None, sandbox: Sandbox | None = None) -> Verdict:
    """Run ``spec`` in a fresh sandbox and return the tester's verdict."""
    nonce = secrets.token_hex(16)
    stdin = json.dumps({**asdict(spec), "nonce": nonce})
    result = run_program(_TESTER, stdin=stdin, limits=limits or Limits(), sandbox=sandbox or default_sandbox())
    return _verdict(result, nonce)


def run_tests_many(specs: Iterable[TestSpec], *, workers: int = 2, limits: Limits | None = None,
                   sandbox: Sandbox | None = None, progress: bool = False) -> list[Verdict]:
    """:func:`run_tests` over ``specs`` with ``workers`` in parallel; verdicts in input order."""
    specs = list(specs)
    sandbox = sandbox or default_sandbox()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rcwork-tests") as pool:
        jobs = pool.map(lambda spec: run_tests(spec, limits=limits, sandbox=sandbox), specs)
        if progress:
            from tqdm.auto import tqdm

            jobs = tqdm(jobs, total=len(specs), desc="scoring", unit="sample")
        return list(jobs)


def _verdict(result: ProgramResult, nonce: str) -> Verdict:
    """The tester's line with ``nonce``; without one, why the run ended without a verdict."""
    duration = round(result.duration_s, 4)
    for line in reversed(result.stdout.splitlines()):
        if line.startswith(nonce + " "):
            report = json.loads(line[len(nonce) + 1:])
            return _from_report(report, duration)
    if result.status == "timeout":
        return Verdict("timeout", "time limit", duration_s=duration)
    if result.status == "killed":
        why = f"killed by signal {-(result.returncode or 0)} (a resource limit?)"
    else:
        tail = (result.stderr.strip().splitlines()[-1:] or [""])[0]
        why = f"the tester ended without a verdict (exit {result.returncode})" + (f": {tail}" if tail else "")
    return Verdict("error", why[:_DETAIL_CHARS], duration_s=duration)


def _from_report(report: dict, duration: float) -> Verdict:
    status = report["status"]
    frames = report.get("frames") or []
    line, source = frames[-1] if frames else (None, "")
    exception, message = report.get("exception", ""), report.get("message", "")
    if status == "failed":
        detail = (source or "assert") + (f"  # {message}" if message else "")
    elif status == "error":
        detail = f"{exception}: {message}" if exception and message else (exception or message)
        if source:
            detail += f"  (at: {source})"
    else:
        detail = ""
    return Verdict(status, detail[:_DETAIL_CHARS], line, exception, report.get("where", ""), duration)
