"""Bad input, as a careless user gives it: one clear line naming file, line and field, a non-zero
exit status, never a traceback; and nothing dropped without being counted."""

from __future__ import annotations

import json
import re

import pytest

from rcwork.cli import main
from rcwork.distill.toy import toy_records
from rcwork.evaluation.samples import SampleFileError, read_samples
from rcwork.records import ReadReport, read_records, record_to_json_line, write_jsonl


def _run(capsys, argv: list[str]) -> tuple[int, str]:
    rc = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return rc, err.strip()


def _record_line() -> str:
    return record_to_json_line(toy_records(1)[0])


def _sample(**kw) -> str:
    return json.dumps({"task_id": "HumanEval/0", "completion": "    return True\n", **kw})


# (file name, content, expected message pattern): read by `rcwork distill` (records) or
# `rcwork evaluate` (samples); each must name the file, the line and the field.
RECORD_CASES = {
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00", r"binary\.jsonl:1: field <bytes>: not UTF-8"),
    "bad_utf8_line_2": ((_record_line() + "\n").encode() + b"{\"messages\": \"\xff\xfe\"}\n",
                        r"bad_utf8_line_2\.jsonl:2: field <bytes>: not UTF-8"),
    "lone_surrogate": (json.dumps({"messages": [
        {"role": "user", "content": "Do \ud800 it"}, {"role": "assistant", "content": "x"},
        {"role": "user", "content": "Again"}, {"role": "assistant", "content": "y"}]}).encode(),
        r"lone_surrogate\.jsonl:1: field messages\[0\]\.content: text holds a lone surrogate"),
    "torn_last_line": ((_record_line() + "\n" + _record_line()[:40]).encode(),
                       r"torn_last_line\.jsonl:2: field <json>: the last line is cut off"),
}

SAMPLE_CASES = {
    "index_null": (_sample(index=None), r"index_null\.jsonl:1: field index: expected a non-neg"),
    "index_text": (_sample(index="abc"), r"index_text\.jsonl:1: field index: expected a non-neg"),
    "index_float": (_sample(index=0.5), r"index_float\.jsonl:1: field index: expected a non-neg"),
    "no_code": (json.dumps({"task_id": "HumanEval/0", "completion": None}),
                r"no_code\.jsonl:1: field solution: a sample needs a string"),
    "torn": (_sample() + "\n" + _sample()[:30], r"torn\.jsonl:2: field <json>: the last line is "
             r"cut off"),
}


@pytest.mark.parametrize("name", sorted(RECORD_CASES))
def test_records_name_file_line_and_field(tmp_path, capsys, name):
    content, pattern = RECORD_CASES[name]
    path = tmp_path / f"{name}.jsonl"
    path.write_bytes(content)
    rc, err = _run(capsys, ["distill", "--model", "tiny", "--data", str(path), "--output_dir",
                            str(tmp_path / "out"), "--report_to", "none", "--max_steps", "1"])
    assert rc == 2 and err.startswith("rcwork distill: error: ")
    assert re.search(pattern, err), err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("name", sorted(SAMPLE_CASES))
def test_samples_name_file_line_and_field(tmp_path, capsys, name):
    content, pattern = SAMPLE_CASES[name]
    path = tmp_path / f"{name}.jsonl"
    path.write_text(content)
    rc, err = _run(capsys, ["evaluate", "--benchmark", "humaneval", "--samples", str(path),
                            "--out_dir", str(tmp_path / "out"), "--limit", "1"])
    assert rc == 2 and err.startswith("rcwork evaluate: error: ")
    assert re.search(pattern, err), err


def test_a_cut_off_last_sample_is_never_lost_silently(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(_sample(index=0) + "\n" + _sample(index=1)[:-5])
    with pytest.raises(SampleFileError, match="cut off"):
        read_samples(path)
    # A complete last line without its newline is a sample like any other.
    path.write_text(_sample(index=0) + "\n" + _sample(index=1))
    assert [s["index"] for s in read_samples(path)] == [0, 1]
    # Resuming generation reads past a torn tail (its writer repairs it before appending).
    path.write_text(_sample(index=0) + "\n" + _sample(index=1)[:-5])
    assert len(read_samples(path, torn_tail="ignore")) == 1


def test_solution_null_beside_a_completion_is_accepted(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(_sample(solution=None) + "\n")
    (s,) = read_samples(path)
    assert s["completion"] == "    return True\n" and "solution" not in s


def test_duplicates_and_skips_are_counted(tmp_path):
    recs = toy_records(3)
    path = tmp_path / "r.jsonl"
    write_jsonl([recs[0], recs[1], recs[0], recs[2]], path)
    with open(path, "a") as fh:
        fh.write('{"messages": []}\n')
    report = ReadReport()
    got = read_records(path, errors="skip", report=report)
    assert len(got) == 4 and report.read == 4 and report.skipped == 1
    assert report.duplicates == 1
    assert "1 duplicate(s)" in str(report) and "skipped 1" in str(report)


def test_distill_skip_mode_counts_per_input(tmp_path, capsys):
    path = tmp_path / "r.jsonl"
    write_jsonl(toy_records(5), path)
    with open(path, "a") as fh:
        fh.write("not json\n")
    rc, err = _run(capsys, ["distill", "--model", "tiny", "--data", str(path), "--output_dir",
                            str(tmp_path / "out"), "--report_to", "none", "--max_steps", "1",
                            "--max_len", "4096", "--heldout", "1"])
    assert rc == 2 and "r.jsonl:6: field <json>: malformed JSON" in err
    rc, _ = _run(capsys, ["distill", "--model", "tiny", "--data", str(path), "--output_dir",
                          str(tmp_path / "out"), "--report_to", "none", "--max_steps", "1",
                          "--max_len", "4096", "--heldout", "1", "--data_errors", "skip"])
    assert rc == 0
    (source,) = json.loads((tmp_path / "out" / "metrics.json").read_text())["sources"]
    assert source["read"] == 5 and source["skipped"] == 1
    assert source["skip_reasons"] == {"<json>: malformed JSON: Expecting value at column 1": 1}


@pytest.mark.parametrize("case", ["missing", "directory", "file_as_out_dir", "empty_samples",
                                  "empty_problems", "bad_problem"])
def test_paths_and_empty_inputs(tmp_path, capsys, case):
    samples = tmp_path / "s.jsonl"
    samples.write_text(_sample() + "\n")
    if case == "missing":
        argv = ["distill", "--model", "tiny", "--data", str(tmp_path / "nope.jsonl")]
        want = r"nope\.jsonl: no such file"
    elif case == "directory":
        argv = ["evaluate", "--samples", str(tmp_path), "--out_dir", str(tmp_path / "o")]
        want = r": is a directory, expected a file"
    elif case == "file_as_out_dir":
        (tmp_path / "taken").write_text("x")
        argv = ["evaluate", "--samples", str(samples), "--out_dir", str(tmp_path / "taken"),
                "--limit", "1"]
        want = r"taken"
    elif case == "empty_samples":
        samples.write_text("")
        argv = ["evaluate", "--samples", str(samples), "--out_dir", str(tmp_path / "o"),
                "--limit", "1"]
        want = r"s\.jsonl: field <record>: no samples of the 1 selected problem"
    elif case == "empty_problems":
        (tmp_path / "p.jsonl").write_text("\n")
        argv = ["synthesize", "--problems", str(tmp_path / "p.jsonl"), "--output_dir",
                str(tmp_path / "o"), "--teacher_model", "tiny"]
        want = r"p\.jsonl: field <record>: no problems"
    else:
        (tmp_path / "p.jsonl").write_text(json.dumps({"task_id": "x", "instruction": "y"}) + "\n")
        argv = ["synthesize", "--problems", str(tmp_path / "p.jsonl"), "--output_dir",
                str(tmp_path / "o"), "--teacher_model", "tiny"]
        want = r"p\.jsonl:1: field entry_point: missing"
    rc, err = _run(capsys, argv)
    assert rc == 2 and re.search(want, err), err
    assert len(err.splitlines()) == 1


def test_binary_sample_file(tmp_path, capsys):
    path = tmp_path / "bin.jsonl"
    path.write_bytes(b"\x00\xff\xfe\n")
    rc, err = _run(capsys, ["evaluate", "--samples", str(path), "--out_dir",
                            str(tmp_path / "o")])
    assert rc == 2 and re.search(r"bin\.jsonl:1: field <bytes>: not UTF-8", err), err



@pytest.mark.parametrize("content,want", [
    ('{"pass_at_k": {"pass@1": 1.0},\n "n_problems": 1,,',
     r"results\.json:2: field <record>: not JSON"),
    (json.dumps({"pass_at_k": {}, "n_problems": 1, "n_samples": 1, "status_counts": {},
                 "problems": {"HumanEval/0": {"n": "one", "correct": 1, "status": "passed"}}}),
     r"results\.json \(problem HumanEval/0\): field n: expected int, got 'one'"),
])
def test_a_broken_stage_file_is_named_with_its_field(tmp_path, capsys, content, want):
    """Another stage's file (here the run ``--compare_to`` names) is read through its typed view:
    a file cut short or a field of the wrong type is one line naming the file and field."""
    samples = tmp_path / "s.jsonl"
    samples.write_text(_sample() + "\n")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "results.json").write_text(content)
    rc, err = _run(capsys, ["evaluate", "--samples", str(samples), "--out_dir",
                            str(tmp_path / "o"), "--limit", "1",
                            "--compare_to", str(tmp_path / "other")])
    assert rc == 2 and re.search(want, err), err
    assert len(err.splitlines()) == 1
