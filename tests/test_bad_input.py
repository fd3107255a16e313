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
    "n_tokens_text": (_sample() + "\n" + _sample(index=1, n_tokens="many"),
                      r"n_tokens_text\.jsonl:2: field n_tokens: expected a non-negative integer"),
    "n_tokens_list": (_sample(n_tokens=[1, 2]), r"n_tokens_list\.jsonl:1: field n_tokens: expected a non-neg"),
    "n_tokens_negative": (_sample(n_tokens=-1), r"n_tokens_negative\.jsonl:1: field n_tokens: expected"),
    "solution_number": (_sample(solution=5), r"solution_number\.jsonl:1: field solution: expected a string or null, got 5"),
    "completion_list": (json.dumps({"task_id": "HumanEval/0", "solution": "def f(): pass\n", "completion": ["x"]}),
                        r"completion_list\.jsonl:1: field completion: expected a string or null"),
    "other_benchmark_only": ("\n".join(json.dumps({"task_id": f"Mbpp/{i}", "completion": "    return 1\n"})
                                       for i in (2, 3)),
                             r"other_benchmark_only\.jsonl:1: field task_id: 'Mbpp/2' is not in this benchmark"),
    "other_benchmark_after": (_sample() + "\n" + json.dumps({"task_id": "Mbpp/7", "completion": "x"}),
                              r"other_benchmark_after\.jsonl:2: field task_id: 'Mbpp/7' is not in this benchmark"),
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
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "out" / "results.json").exists()  # nothing half-written


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


def test_a_negative_limit_is_refused(tmp_path, capsys):
    path = tmp_path / "s.jsonl"
    path.write_text(_sample() + "\n")
    rc, err = _run(capsys, ["evaluate", "--samples", str(path), "--out_dir", str(tmp_path / "o"),
                            "--limit", "-3"])
    assert rc == 2 and re.search(r"limit must be >= 0", err), err
    assert len(err.splitlines()) == 1 and not (tmp_path / "o" / "results.json").exists()


_SPEC_HEAD = 'name = "t"\nexecutor = "inline"\n'
_SPEC_BASE = '[base]\nmodel = "tiny"\nmax_steps = 2\n'
_SPEC_CURVE = "[curves.k]\nupsample_k = [1, 2]\n"
# (spec text, expected message): a key typo at each level, bad TOML, a value of the wrong type.
SPEC_CASES = {
    "top_level_typo": (_SPEC_HEAD + "bsae = 1\n" + _SPEC_BASE + _SPEC_CURVE,
                       r"top_level_typo\.toml:3: field bsae: unknown key\(s\) bsae \(did you mean 'base'\?\)"),
    "base_typo": (_SPEC_HEAD + _SPEC_BASE + 'modle = "tiny"\n' + _SPEC_CURVE,
                  r"base_typo\.toml:6: field base\.modle: DistillConfig has no field 'modle' \(did you mean 'model'"),
    "axis_typo": (_SPEC_HEAD + _SPEC_BASE + "[curves.k]\nupsampel_k = [1, 2]\n",
                  r"axis_typo\.toml:7: field curves\.k\.upsampel_k: DistillConfig has no field 'upsampel_k' "
                  r"\(did you mean 'upsample_k'"),
    "evaluate_typo": (_SPEC_HEAD + _SPEC_BASE + _SPEC_CURVE + '[evaluate]\nenabled = true\nbenchmrk = "humaneval"\n',
                      r"evaluate_typo\.toml:10: field evaluate\.benchmrk: EvaluateConfig has no field 'benchmrk' "
                      r"\(did you mean 'benchmark'"),
    "toml_syntax": (_SPEC_HEAD + "[base\nmodel = 1\n", r"toml_syntax\.toml:3: field <toml>: "),
    "max_steps_text": (_SPEC_HEAD + '[base]\nmodel = "tiny"\nmax_steps = "two"\n' + _SPEC_CURVE,
                       r"max_steps_text\.toml:5: field base\.max_steps: expected an integer, got 'two'"),
    "axis_value_type": (_SPEC_HEAD + _SPEC_BASE + '[curves.k]\nupsample_k = [1, "two"]\n',
                        r"axis_value_type\.toml:7: field curves\.k\.upsample_k: expected an integer, got 'two'"),
    "evaluate_value_type": (_SPEC_HEAD + _SPEC_BASE + _SPEC_CURVE + "[evaluate]\nenabled = true\nlimit = [3]\n",
                            r"evaluate_value_type\.toml:10: field evaluate\.limit: expected an integer"),
}


@pytest.mark.parametrize("name", sorted(SPEC_CASES))
def test_sweep_specs_name_file_line_and_field(tmp_path, capsys, name):
    """``rcwork sweep --dry_run`` checks every key and value of the spec before planning."""
    content, pattern = SPEC_CASES[name]
    spec = tmp_path / f"{name}.toml"
    spec.write_text(content)
    rc, err = _run(capsys, ["sweep", "--spec", str(spec), "--sweep_dir", str(tmp_path / "sweep"),
                            "--dry_run"])
    assert rc == 2 and err.startswith("rcwork sweep: error: "), err
    assert re.search(pattern, err), err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("benchmark,env", [
    ("mbpp+", {"HF_HUB_OFFLINE": "1"}),
    ("humaneval+", {"HF_DATASETS_OFFLINE": "1"}),
    # No network: the hub's endpoint refuses at once (what a box without network does after a
    # failed name lookup); no retries, no log lines, one error line.
    ("mbpp+", {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "0"}),
    ("mbpp", {"HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "0"}),
])
def test_offline_without_a_local_copy_says_so_at_once(tmp_path, benchmark, env):
    """A hub benchmark with no local file, offline: one line, at once, never a hub request
    (datasets' retries took ~25 s and 11 log lines). Run as a process: the check reads and
    sets the environment."""
    import os
    import subprocess
    import sys
    import time

    samples = tmp_path / "s.jsonl"
    samples.write_text(json.dumps({"task_id": "Mbpp/2", "completion": "x"}) + "\n")
    clean = {k: v for k, v in os.environ.items()
             if k not in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_ENDPOINT",
                          "HUMANEVAL_OVERRIDE_PATH", "MBPP_OVERRIDE_PATH")}
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "rcwork.cli", "evaluate", "--benchmark", benchmark,
                           "--samples", str(samples), "--out_dir", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=300, env={**clean, **env, "HF_HOME": str(tmp_path / "hf")})
    took = time.monotonic() - start
    err = done.stderr.strip()
    assert done.returncode == 2, (done.returncode, err)
    assert len(err.splitlines()) == 1 and "Traceback" not in err and "Retrying" not in err, err
    assert re.search(r"offline \(.*\).*pass a local file with --problems", err), err
    assert took < 120, took  # imports on a loaded box; the retries alone took ~25 s
