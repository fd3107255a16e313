"""Synthesis: reply parsing, filters, the shard store, and the two-stage loop on real kernels
with a scripted teacher (deterministic replies, real execution)."""

from __future__ import annotations

import json

import pytest

from rcwork.records import read_jsonl
from rcwork.synthesis import (FilterConfig, ShardStore, SynthesisConfig, count_task_ids,
                              filter_reasons, format_summary, has_assert,
                              io_keywords, read_run, split_reply, synthesize, synthesize_problem)
from rcwork.synthesis import prompts
from rcwork.synthesis.store import RunLocked, repair_shard
from rcwork.display.synthesis import format_record
from rcwork.teachers import ScriptedTeacher
from tests.helpers import easy_problems


# ---------------------------------------------------------------- parsing replies


def test_split_reply_takes_text_then_the_first_python_block():
    assert split_reply("Idea.\n```python\nx = 1\n```\nafter") == ("Idea.", "x = 1")
    assert split_reply("```py\nx = 1\n") == ("", "x = 1")  # left open by the stop string
    assert split_reply("no code here") == ("no code here", None)
    # A block in another language is skipped; a bare fence counts as Python.
    assert split_reply("```text\nout\n```\nThen:\n```\ny = 2\n```") == (
        "```text\nout\n```\nThen:", "y = 2")


def test_has_assert_counts_asserts_that_run():
    assert has_assert("def f():\n    return 1\nassert f() == 1")
    assert has_assert("if __name__ == '__main__':\n    for x in [1]:\n        assert x")
    assert not has_assert("x = 'assert nothing'")
    # Input validation inside a function that is only defined checks nothing.
    assert not has_assert("def f(x):\n    assert x > 0\n    return x")
    # ... but a test function that the cell calls (here through another one) does.
    assert has_assert("def t1():\n    assert 1\ndef run():\n    t1()\nrun()")
    assert has_assert("def f(x):\n    assert x > 0\n    return x\nprint(f(1))")
    assert has_assert("assert (")  # unparsable: a line starting with assert still counts


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize("code,label", [
    ("with open('f.txt') as fh: pass", "open("),
    ("x = input()", "input("),
    ("!pip install numpy", "pip"),
    ("import os\nos.system('ls')", "os.system"),
    ("import subprocess", "subprocess"),
    ("import shutil", "shutil"),
    ("import requests", "network"),
    ("json.dump(obj, fh)", ".dump("),
    ("pickle.load(fh)", "pickle"),
    ("fh.write('x')", ".write("),
    ("df.to_csv('x.csv')", "dataframe I/O"),
])
def test_io_keywords_find_io(code, label):
    assert label in io_keywords(code)


def test_io_keywords_leave_pure_code_alone():
    code = ("import json\ndef reopen(xs):\n    s = json.dumps(xs)\n    return json.loads(s)\n"
            "assert reopen([1]) == [1]\nprint(sorted([3, 1]))")
    assert io_keywords(code) == []


def _record(resolved=True, rounds=2, code="def f():\n    return 1", final_code="def f(): ..."):
    from rcwork.records import Block, Message, Metadata, ReflectionRecord

    final = [Block("text", "ok")] + ([Block("code", final_code)] if final_code else [])
    return ReflectionRecord("do it", [Message("assistant", [Block("code", code),
                                                            Block("execution", "")])],
                            "again", final, Metadata(rounds=rounds, resolved=resolved),
                            source_instruction="it")


def test_filter_reasons():
    assert filter_reasons(_record()) == []
    assert filter_reasons(_record(resolved=False, rounds=8)) == ["unresolved"]
    assert filter_reasons(_record(rounds=1)) == ["single_round"]
    assert filter_reasons(_record(rounds=1), FilterConfig(single_round=False)) == []
    assert filter_reasons(_record(code="open('x')")) == ["io_keywords"]
    assert filter_reasons(_record(final_code="")) == ["no_final_code"]
    assert filter_reasons(_record(), FilterConfig(require_hidden_tests=True)) == [
        "hidden_tests_failed"]


# ---------------------------------------------------------------- the store


def test_repair_shard_completes_or_cuts_a_torn_last_line(tmp_path):
    good = json.dumps({"messages": [], "metadata": {"task_id": "a"}})
    p = tmp_path / "s.jsonl"
    p.write_text(good + "\n" + good)  # only the newline was lost
    assert repair_shard(p) == "completed" and p.read_text() == good + "\n" + good + "\n"
    p.write_text(good + "\n" + good[:20])
    assert repair_shard(p) == "cut" and p.read_text() == good + "\n"
    assert repair_shard(p) == "ok"
    p.write_text(good[:10])
    assert repair_shard(p) == "cut" and p.read_text() == ""


def test_store_locks_the_directory_and_scans_completed_ids(tmp_path):
    rec = _record()
    rec.metadata.extra["task_id"] = "t1"
    with ShardStore(tmp_path) as store:
        assert store.open().completed == {}
        with pytest.raises(RunLocked):
            ShardStore(tmp_path).open()
        store.append(rec, kept=True, shard=0)
    with (tmp_path / "filtered" / "shard-001.jsonl").open("w") as fh:
        fh.write('{"messages": [], "metad')  # a torn line from a killed run
    with ShardStore(tmp_path) as store:
        scan = store.open()
    assert scan.completed == {"t1": "kept"} and scan.torn_lines_cut == 1
    assert [r.metadata.extra["task_id"] for r in read_run(tmp_path)] == ["t1"]
    assert read_jsonl(tmp_path / "kept" / "shard-000.jsonl")[0].final_code() == "def f(): ..."


# ---------------------------------------------------------------- the loop, on real kernels


def _scripted(first_ok: bool = False, final: bool = True, io: bool = False):
    """Round 1 fails an assert unless ``first_ok``; round 2 fixes it; stage 2 answers."""
    def respond(conv):
        last = conv[-1]["content"]
        name = conv[1]["content"].split("`")[1].split("(")[0]
        if "final answer" in last:
            return ("The function returns the expected value.\n```python\n"
                    f"def {name}(*a):\n    return 42\n```\n" if final else "Done.")
        extra = "open('/dev/null').close()\n" if io else ""
        if sum(m["role"] == "assistant" for m in conv) == 0 and not first_ok:
            return (f"I will write it.\n```python\ndef {name}(*a):\n    return 41\n"
                    f"print('ran')\nassert {name}() == 42\n```\nIt should work.")
        return (f"The root cause: the constant is off by one.\n```python\n{extra}"
                f"def {name}(*a):\n    return 42\nassert {name}() == 42\n```\n")
    return ScriptedTeacher(respond, name="scripted-test")


@pytest.fixture(scope="module")
def pool():
    from rcwork.sandbox import KernelPool, Limits

    p = KernelPool(2, Limits())
    yield p
    p.close()


def test_two_stage_loop_records_blocks_rounds_and_hidden_tests(pool):
    from rcwork.synthesis import KernelHandle, LoopConfig

    problem = easy_problems(1)[0]
    with KernelHandle(pool.session) as kernel:
        rec = synthesize_problem(problem, _scripted(), kernel, LoopConfig(max_rounds=3),
                                 source="x.jsonl")
    kinds = [b.kind for b in rec.reflection_blocks]
    assert kinds == ["text", "code", "execution", "text", "code", "execution"]
    first_exec = rec.reflection_blocks[2].content
    assert "ran" in first_exec and "AssertionError" in first_exec  # real kernel output
    assert rec.metadata.rounds == 2 and rec.metadata.resolved
    assert rec.metadata.teacher == "scripted-test" and rec.metadata.source == "x.jsonl"
    extra = rec.metadata.extra
    assert extra["round_status"] == ["error", "ok"] and extra["stage2"] == "done"
    assert extra["hidden_tests_passed"] is False and extra["final_tests_passed"] is False
    # RI is the stage-1 prompt the teacher saw; I is the bare problem (the teacher sample's I).
    assert rec.source_instruction == problem.instruction
    assert rec.instruction == prompts.STAGE1.format(instruction=problem.instruction)
    assert [b.kind for b in rec.final] == ["text", "code"]
    assert "It should work" not in format_record(rec)  # narration after the code is not kept
    assert filter_reasons(rec) == []


def test_loop_unresolved_and_no_code_rounds(pool):
    from rcwork.synthesis import KernelHandle, LoopConfig

    teacher = ScriptedTeacher(["I am not sure.", "```python\nassert 1 == 2\n```"])
    with KernelHandle(pool.session) as kernel:
        rec = synthesize_problem(easy_problems(1)[0], teacher, kernel, LoopConfig(max_rounds=3))
    assert rec.metadata.rounds == 3 and not rec.metadata.resolved
    assert rec.metadata.extra["round_status"] == ["no_code", "error", "no_code"]
    assert rec.metadata.extra["stage2"] == "skipped"
    assert filter_reasons(rec) == ["unresolved"]


def test_hidden_tests_pass_for_a_correct_solution(pool):
    from rcwork.synthesis import KernelHandle, LoopConfig

    p = easy_problems(1)[0]
    good = f"```python\n{p.solution}assert add(2, 2) == 4\n```"
    final = f"Sum.\n```python\n{p.solution}```"
    teacher = ScriptedTeacher(lambda c: final if "final answer" in c[-1]["content"] else good)
    with KernelHandle(pool.session) as kernel:
        rec = synthesize_problem(p, teacher, kernel, LoopConfig())
    assert rec.metadata.rounds == 1 and rec.metadata.resolved
    assert rec.metadata.extra["hidden_tests_passed"] is True
    assert rec.metadata.extra["final_tests_passed"] is True
    assert filter_reasons(rec) == ["single_round"]


def test_synthesize_writes_kept_and_filtered_with_reasons_and_resumes(pool, tmp_path):
    problems = easy_problems(4)
    plain, with_io = _scripted(), _scripted(io=True)

    def respond(conv):  # the second problem's fix opens a file: filtered for I/O
        io = problems[1].instruction in conv[1]["content"]
        return (with_io if io else plain).chat([conv])[0]

    teacher = ScriptedTeacher(respond, name="scripted-test")
    cfg = SynthesisConfig(max_rounds=3, workers=2, progress=False)
    summary = synthesize(problems, teacher, tmp_path, cfg, kernel_pool=pool)
    assert summary.records == 4 and summary.processed == 4
    assert summary.kept == 3 and summary.filter_reasons["io_keywords"] == 1
    assert summary.io_keywords == {"open(": 1}
    assert summary.rounds_histogram == {"2": 4}
    filtered = read_run(tmp_path, "filtered")
    assert filtered[0].metadata.extra["filter_reasons"] == ["io_keywords"]
    assert json.loads((tmp_path / "summary.json").read_text())["kept"] == 3
    assert "kept 3, filtered 1" in format_summary(summary)
    run_cfg = json.loads((tmp_path / "run.json").read_text())
    assert run_cfg["teacher"]["name"] == "scripted-test" and "stage1" in run_cfg["prompts"]
    # A second run over more problems only does the new ones.
    calls = teacher.calls
    summary = synthesize(easy_problems(5), teacher, tmp_path, cfg, kernel_pool=pool)
    assert summary.skipped_resumed == 4 and summary.processed == 1
    assert summary.records == 5 and teacher.calls - calls == 3
    assert set(count_task_ids(tmp_path).values()) == {1}


def test_a_failing_teacher_is_an_error_not_a_record(pool, tmp_path):
    def respond(conv):
        raise ConnectionError("server went away")

    summary = synthesize(easy_problems(2), ScriptedTeacher(respond), tmp_path,
                         SynthesisConfig(progress=False), kernel_pool=pool)
    assert summary.errors == 2 and summary.records == 0
    lines = (tmp_path / "errors.jsonl").read_text().splitlines()
    assert len(lines) == 2 and "server went away" in lines[0]
