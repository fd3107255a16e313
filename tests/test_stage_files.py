"""The stage files' typed views: round trips, refusals that name the file and field, writes."""

from __future__ import annotations

import json

import pytest

from rcwork.evaluation.scoring import compare_results
from rcwork.stage_files import (DistillMetrics, EvaluationResults, PipelineRecord, ProblemResult,
                                StageFileError, SynthesisSummary, evaluation_runs, read_json,
                                write_json)


def _results(statuses: dict[str, str], **extra) -> dict:
    problems = {t: {"n": 1, "correct": int(s == "passed"), "status": s, "detail": None,
                    "line": None, "statuses": {s: 1}, "n_tokens": 12.0,
                    "pass@1": float(s == "passed")} for t, s in statuses.items()}
    p1 = sum(s == "passed" for s in statuses.values()) / len(statuses)
    return {"benchmark": "humaneval", "pass@1": p1, "pass_at_k": {"pass@1": p1},
            "n_problems": len(statuses), "n_problems_benchmark": 164, "complete": False,
            "n_samples": len(statuses), "status_counts": {"passed": 1}, "tokens": {},
            "problems": problems, **extra}


def test_results_round_trip_keeps_the_file_shape_and_unknown_keys(tmp_path):
    raw = _results({"A": "passed", "B": "failed"}, note="a user's remark")
    (tmp_path / "results.json").write_text(json.dumps(raw))
    res = EvaluationResults.read(tmp_path)
    assert res.pass_at_1 == 0.5 and res.problems["A"].passed and not res.problems["B"].passed
    assert res.problems["B"].pass_at_k == {"pass@1": 0.0}
    assert res.extra == {"note": "a user's remark"}
    res.write(tmp_path / "copy")
    again = read_json(tmp_path / "copy" / "results.json")
    assert again == {**raw, "samples": None, "created": None, "scoring": {}, "skipped_samples": 0,
                     "generation": None, "finish_reasons": None, "compared_to": None,
                     "flips": None}
    assert EvaluationResults.read(tmp_path / "copy" / "results.json") == res


def test_a_wrong_field_is_named_with_its_file(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"config": {}, "steps": "4", "curves": {}, "heldout": {}}))
    with pytest.raises(StageFileError, match=r"metrics\.json: field steps: expected int, got '4'"):
        DistillMetrics.read(path)
    path.write_text(json.dumps({"config": {}, "curves": {}, "heldout": {}}))
    with pytest.raises(StageFileError, match="field steps: missing"):
        DistillMetrics.read(path)
    path.write_text('{"config": {},\n "steps": 4,,}')
    with pytest.raises(StageFileError, match=r"metrics\.json:2: .*not JSON"):
        DistillMetrics.read(path)
    bad = _results({"A": "passed"})
    bad["problems"]["A"]["status"] = 1
    with pytest.raises(StageFileError, match=r"problem A\): field status: expected str"):
        EvaluationResults.from_dict(bad, "results.json")
    with pytest.raises(StageFileError, match="field kept: expected int, got True"):
        SynthesisSummary.from_dict({"records": 1, "kept": True, "filtered": 0, "resolved": 0,
                                    "filter_reasons": {}, "rounds_histogram": {},
                                    "rounds_histogram_kept": {}})
    with pytest.raises(FileNotFoundError, match="no such file"):
        DistillMetrics.read(tmp_path / "nowhere")
    assert DistillMetrics.read_if_exists(tmp_path / "nowhere") is None


def test_writes_are_atomic_and_json_has_no_nan(tmp_path):
    m = DistillMetrics(config={"data": [tmp_path]}, steps=2, curves={"loss": [float("nan"), 1.5]},
                       heldout={"before": None, "after": {"nll": float("inf")}})
    path = m.write(tmp_path / "run")
    assert path == tmp_path / "run" / "metrics.json"
    assert [p.name for p in path.parent.iterdir()] == ["metrics.json"]  # no temporary left
    back = DistillMetrics.read(path)  # strict JSON: NaN and inf became null, paths text
    assert back.curves["loss"] == [None, 1.5] and back.after == {"nll": None}
    assert back.before == {} and back.config == {"data": [str(tmp_path)]}
    write_json(path, {"replaced": True})
    assert read_json(path) == {"replaced": True}


def test_one_flip_definition_uses_the_first_sample_verdict(tmp_path):
    a = EvaluationResults.from_dict(_results({"A": "failed", "B": "passed", "C": "passed"}))
    b = EvaluationResults.from_dict(_results({"A": "passed", "B": "timeout", "D": "passed"}))
    flips = compare_results(a, b)
    assert flips["fixed"] == ["A"] and flips["broken"] == ["B"]
    assert flips["only_a"] == ["C"] and flips["only_b"] == ["D"]
    for name, res in (("base", a), ("distilled", b)):
        res.write(tmp_path / name)
    runs = evaluation_runs(tmp_path)
    assert list(runs) == ["base", "distilled"] and runs["base"] == a


def test_problem_results_keep_their_pass_at_k_flat_in_the_file():
    p = ProblemResult.from_dict({"n": 2, "correct": 1, "status": "failed", "pass@1": 0.5,
                                 "pass@2": 1.0})
    assert p.pass_at_k == {"pass@1": 0.5, "pass@2": 1.0} and p.extra == {}
    assert p.to_dict()["pass@2"] == 1.0 and "pass_at_k" not in p.to_dict()


def test_pipeline_record_resumes_its_stages(tmp_path):
    rec = PipelineRecord("demo")
    rec.stages["synthesize"] = {"status": "done", "wall_s": 3.5}
    rec.write(tmp_path)
    back = PipelineRecord.read(tmp_path)
    assert back.profile == "demo" and back.stages == rec.stages
