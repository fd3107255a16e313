"""Paired comparisons: the exact sign test, Holm's correction, and two evaluations compared
problem by problem."""

from __future__ import annotations

import math

import pytest

from rcwork.bootstrap import holm, sign_test
from rcwork.evaluation.paired import compare_paired
from rcwork.stage_files import EvaluationResults


def test_sign_test_is_the_exact_binomial_tail():
    assert sign_test(0, 0) == 1.0
    assert sign_test(3, 3) == 1.0
    assert sign_test(5, 0) == pytest.approx(2 / 32)  # both tails of Binomial(5, 1/2)
    assert sign_test(0, 5) == sign_test(5, 0)
    n, k = 20, 4
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    assert sign_test(16, 4) == pytest.approx(2 * tail)
    assert sign_test(10, 9) > 0.5


def test_holm_adjusts_step_down_and_keeps_order():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5]) == [0.5]
    assert holm([0.9, 0.9]) == [1.0, 1.0]  # 2 x 0.9, capped; the second no smaller
    assert holm([0.001, 0.2, 0.6]) == pytest.approx([0.003, 0.4, 0.6])


def _results(verdicts: dict[str, bool]) -> EvaluationResults:
    problems = {t: {"n": 1, "correct": int(ok), "status": "passed" if ok else "failed",
                    "pass@1": float(ok)} for t, ok in verdicts.items()}
    return EvaluationResults.from_dict({
        "benchmark": "humaneval", "n_problems": len(problems), "n_samples": len(problems),
        "pass_at_k": {"pass@1": sum(verdicts.values()) / len(verdicts)},
        "status_counts": {}, "problems": problems})


def test_paired_comparison_counts_discordant_problems_and_brackets_the_difference():
    ids = [f"P/{i}" for i in range(40)]
    a = _results({t: i < 10 for i, t in enumerate(ids)})  # 10 pass
    b = _results({t: i < 10 or 20 <= i < 32 for i, t in enumerate(ids)})  # 12 more pass
    c = compare_paired(a, b)
    assert (c.problems, c.fixed, c.broken) == (40, 12, 0)
    assert c.difference == pytest.approx(12 / 40)
    assert 0 < c.low <= c.difference <= c.high
    assert c.p_value == pytest.approx(2 / 2 ** 12)
    assert "12 fixed, 0 broken" in c.sentence("base", "distilled")
    assert "distilled higher" in c.sentence("base", "distilled")
    same = compare_paired(a, a)
    assert (same.discordant, same.difference, same.p_value) == (0, 0.0, 1.0)
    assert "not distinguishable" in same.sentence("a", "a")
    # Only shared problems are units.
    d = _results({"P/0": True, "X/1": False})
    assert compare_paired(a, d).problems == 1
    assert "nothing to compare" in compare_paired(a, _results({"Y": True})).sentence("a", "y")


def test_permutation_test_finds_a_consistent_shift_and_not_noise():
    import numpy as np

    from rcwork.bootstrap import Units, permutation_test

    rng = np.random.default_rng(0)
    ids = [f"r{i}" for i in range(30)]
    tokens = rng.integers(20, 80, 30).astype(float)
    base = rng.normal(1.5, 0.3, 30) * tokens
    better = Units.make(ids, base - 0.05 * tokens, tokens)  # every record 0.05 nats lower
    same = Units.make(ids, base, tokens)
    noisy = Units.make(ids, base + rng.normal(0, 0.3, 30) * tokens, tokens)
    assert permutation_test(better, same) < 0.01
    assert permutation_test(noisy, same) > 0.05
    assert permutation_test(same, same) == 1.0
    with pytest.raises(ValueError, match="same units"):
        permutation_test(better, Units.make(ids[::-1], base, tokens))


def _row(id_, ablation, diff, low, high, *, p=0.01, reference="ref", **more):
    """A compared registry row; its ``params`` (the swept settings, seed included) as the
    registry writes them."""
    import json

    row = {"id": id_, "ablation": ablation, "reference": reference, "paired_metric": "nll",
           "paired_weighting": "per token", "diff_vs_reference": diff, "diff_low": low,
           "diff_high": high, "p_permutation": p, "p_holm": min(1, 3 * p), "comparisons": 3,
           "heldout_records": 8, "upsample_k": 2, "order": "EAC", "strategy": "block", **more}
    swept = {k: row[k] for k in ("ablation", "upsample_k", "order", "seed") if k in row}
    row["params"] = json.dumps(swept, sort_keys=True)
    return row


def test_answers_are_written_from_the_numbers():
    from rcwork.display.answers import sweep_answers

    ref = {"id": "ref", "ablation": "none", "reference": None, "upsample_k": 2, "order": "EAC",
           "strategy": "block"}
    rows = [ref, _row("nd", "no_distill", 0.019, 0.002, 0.035),
            _row("k1", "none", 0.0034, -0.016, 0.023, upsample_k=1)]
    lines = sweep_answers(rows)
    # no_distill − self-distillation = +0.019: self-distillation is lower by 0.019
    assert lines[0].startswith("self-distillation vs NTP on the same reflection data")
    assert "ΔNLL -0.0190 [-0.0350, -0.0020] on 8 held-out records" in lines[0]
    assert "self-distillation lower (better)" in lines[0] and "3 comparisons in" in lines[0]
    assert "no_reflection" in lines[1] and "not in this sweep" in lines[1]
    assert "upsample_k = 1 vs 2" in lines[2] and "not distinguishable" in lines[2]
    # Change the numbers, and the sentences change with them.
    rows[1] = _row("nd", "no_distill", -0.01, -0.02, 0.005)
    rows.append(_row("nr", "no_reflection", -0.05, -0.08, -0.02))
    lines = sweep_answers(rows)
    assert "ΔNLL +0.0100 [-0.0050, +0.0200]" in lines[0] and "not distinguishable" in lines[0]
    assert "self-distillation higher (worse)" in lines[1]
    # The larger held-out sets get their own clause, from their own columns.
    rows[1].update(diff_problems=0.03, diff_low_problems=0.01, diff_high_problems=0.05,
                   p_problems=0.002, p_holm_problems=0.01, problems_units=60)
    line = sweep_answers(rows)[0]
    assert ("ΔNLL -0.0300 [-0.0500, -0.0100] on 60 held-out rcwork problems' references, "
            "p = 0.002 (Holm 0.01) — self-distillation lower (better)") in line
    assert "not distinguishable" in line  # the records' clause is still there


def test_forest_plot_draws_every_comparison_against_zero():
    from rcwork.display.answers import forest_figure

    ref = {"id": "ref", "ablation": "none", "reference": None, "upsample_k": 2, "order": "EAC",
           "strategy": "block"}
    nd = _row("nd", "no_distill", 0.019, 0.002, 0.035, diff_humaneval=0.01,
              diff_low_humaneval=-0.01, diff_high_humaneval=0.02, p_humaneval=0.3,
              p_holm_humaneval=0.6, humaneval_units=164)
    k1 = _row("k1", "none", 0.0034, -0.016, 0.023, upsample_k=1)
    assert forest_figure([ref]) is None
    fig = forest_figure([ref, k1, nd])
    records, humaneval = fig.data
    # the ablation first, drawn as self-distillation − ablation
    assert list(records.y) == ["self-distillation vs NTP on the same reflection data "
                               "(no_distill)", "upsample_k = 1 vs 2"]
    assert records.x[0] == pytest.approx(-0.019) and records.x[1] == pytest.approx(0.0034)
    assert records.error_x.arrayminus[0] == pytest.approx(0.016)  # -0.019 - (-0.035)
    assert list(humaneval.y) == [records.y[0]] and humaneval.x[0] == pytest.approx(-0.01)
    assert len(fig.layout.shapes) == 2 and all(s.x0 == 0 for s in fig.layout.shapes)


def test_reinforce_answer_pairs_the_stages_problem_by_problem(tmp_path):
    from rcwork.display.answers import reinforce_answer
    from rcwork.reflexi.evaluate import TrajectoryResult, write_results
    from rcwork.stage_files import ReinforceMetrics

    tasks = [f"t{i}" for i in range(6)]
    passed = {"base": [0, 0, 0, 0, 1, 0], "warmed_up": [0, 1, 0, 0, 1, 0],
              "trained": [1, 1, 1, 0, 1, 0]}
    for stage, verdicts in passed.items():
        write_results([TrajectoryResult(t, "", 10, False, True, True, 0, [v], bool(v), bool(v))
                       for t, v in zip(tasks, verdicts)], tmp_path / f"heldout_{stage}.jsonl")
    heldout = {s: {"pass@1": sum(v) / 6} for s, v in passed.items()}
    ReinforceMetrics(model="tiny", train_problems=10, heldout_problems=tasks, settings={},
                     heldout=heldout, steps=2, curves={}).write(tmp_path)
    line = reinforce_answer(tmp_path)
    assert "base 0.17, warmed_up 0.33, trained 0.67 on 6 problems" in line
    # trained − base: 3 fixed, 0 broken, +0.5 over 6 problems
    assert "trained − base: pass@1 +0.500" in line and "3 changed verdict (3 fixed, 0 broken)" in line
    assert "trained − warmed_up: pass@1 +0.333" in line and "warmed_up − base" in line
    assert line.endswith("too few problems to tell a change from noise.")


def _seeded_sweep(folder, shift):
    """Registry rows of a sweep whose reference (ablation none) and no_distill ran under seeds
    0 and 1, each run folder holding per-unit NLL on the records and 12 held-out problems;
    no_distill is ``shift`` nats a token above the reference on every unit of each seed (a
    pair: one shift per seed)."""
    import json

    import numpy as np

    rng = np.random.default_rng(7)
    rows = []
    for ablation in ("none", "no_distill"):
        for seed in (0, 1):
            run = f"runs/{ablation}-s{seed}"
            sets = {}
            for name, n in (("records", 8), ("problems", 12)):
                tokens = np.arange(20, 20 + n, dtype=float)
                base = np.random.default_rng(100 * seed + n).normal(1.2, 0.3, n) * tokens
                moved = shift[seed] if isinstance(shift, tuple) else shift
                nll = base + (moved * tokens if ablation == "no_distill" else 0) \
                    + rng.normal(0, 0.002, n) * tokens
                after = {"ids": [f"{name}{i}" for i in range(n)], "nll_sum": nll.tolist(),
                         "tokens": tokens.tolist()}
                sets[name] = {"before": after, "after": after}
            (folder / run).mkdir(parents=True)
            (folder / run / "heldout_records.json").write_text(json.dumps(
                {"sets": sets, "before": sets["records"]["before"],
                 "after": sets["records"]["after"]}))
            rows.append({"id": f"{ablation}-s{seed}", "curves": ["ablation"], "run": run,
                         "ablation": ablation, "seed": seed, "pass_at_1": None,
                         "heldout_records": 8, "problems_units": 12, "upsample_k": 2,
                         "order": "EAC", "strategy": "block",
                         "params": json.dumps({"ablation": ablation, "seed": seed},
                                              sort_keys=True)})
    return rows


def test_every_seed_is_compared_with_the_reference_of_its_seed_and_pooled(tmp_path):
    from rcwork.sweep.registry import compare_to_reference

    rows = _seeded_sweep(tmp_path, 0.05)
    compare_to_reference(tmp_path, rows)
    ref0, ref1, nd0, nd1 = rows
    assert ref0["reference"] is None and ref1["reference"] is None
    # seed 1 against seed 1's reference (once, only seed 0 was compared)
    assert (nd0["reference"], nd1["reference"]) == ("none-s0", "none-s1")
    for r in (nd0, nd1):
        assert r["diff_vs_reference"] == pytest.approx(0.05, abs=0.005)
        assert r["diff_low"] > 0 and r["comparisons"] == 4  # 2 seeds x (records, problems)
        assert r["pooled_seeds"] == [0, 1] and r["pooled_comparisons"] == 2
        assert r["pooled_diff"] == pytest.approx(0.05, abs=0.005) and r["pooled_diff_low"] > 0
        # both seeds moved every unit the same way: no replicate reaches zero
        assert r["pooled_p"] <= 0.001 and r["pooled_p_problems"] <= 0.001

    rows = _seeded_sweep(tmp_path / "flat", 0.0)
    compare_to_reference(tmp_path / "flat", rows)
    nd0 = rows[2]
    assert nd0["pooled_diff_low"] <= 0 <= nd0["pooled_diff_high"] and nd0["pooled_p"] > 0.05

    # The seeds disagree: each seed alone is clearly different (one up, one down), pooled the
    # setting is not — and the pooled p says so with its interval, not against it.
    rows = _seeded_sweep(tmp_path / "split", (0.05, -0.05))
    compare_to_reference(tmp_path / "split", rows)
    nd0, nd1 = rows[2:]
    assert nd0["p_permutation"] < 0.01 and nd1["p_permutation"] < 0.01
    assert nd0["diff_low"] > 0 and nd1["diff_high"] < 0
    assert nd0["pooled_diff_low"] < 0 < nd0["pooled_diff_high"]
    assert nd0["pooled_p"] > 0.05 and nd0["pooled_p_problems"] > 0.05


def test_a_setting_run_under_several_seeds_is_answered_pooled(tmp_path):
    from rcwork.display.answers import forest_figure, sweep_answers
    from rcwork.sweep.registry import compare_to_reference

    rows = _seeded_sweep(tmp_path, 0.05)
    compare_to_reference(tmp_path, rows)
    line = sweep_answers(rows)[0]
    assert line.startswith("self-distillation vs NTP on the same reflection data "
                           "(no_distill), seeds 0, 1 pooled: ΔNLL -0.05")
    assert "on 8 held-out records" in line and "on 12 held-out rcwork problems" in line
    assert "seed by seed on the 8 held-out records: -0.05" in line and "(seed 1)" in line
    assert "2 pooled comparisons in the sweep" in line
    assert "self-distillation lower (better)" in line
    records, problems = forest_figure(rows).data
    assert list(records.y) == ["self-distillation vs NTP on the same reflection data "
                               "(no_distill) (2 seeds)"]
    assert records.x[0] == pytest.approx(-rows[2]["pooled_diff"])
    # Without the pooled columns (one seed finished), one sentence per seed, each labelled.
    for r in rows:
        r["pooled_seeds"] = None
    line = sweep_answers(rows)[0]
    assert "(no_distill) (seed 0): ΔNLL" in line and "(no_distill) (seed 1): ΔNLL" in line


def test_the_noise_table_tests_a_setting_over_all_its_seeds(tmp_path):
    """The sweep section's table: a point run under two seeds gets a p-value (the paired
    bootstrap's, over seeds and units), not a blank."""
    import re

    from rcwork.sweep.report import NLL, curve_points, noise_table

    rows = _seeded_sweep(tmp_path, 0.05)
    points = curve_points(tmp_path, rows, ["ablation"], NLL)
    assert [len(p.units) for p in points] == [2, 2]
    table = noise_table(points, NLL)
    cells = re.findall(r"<td>([^<]*)</td>", table)
    assert "paired" in cells and "1 comparison with the reference" in table
    p = float(cells[cells.index("paired") + 1])
    assert p <= 0.001  # no replicate reaches zero: 2000 replicates' smallest p
