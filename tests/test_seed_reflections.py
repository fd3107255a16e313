"""The hand-written seed reflection records (data/reflections/seed.jsonl).

Shape of every record, lossless round trips through every storage format, agreement between the
committed file and its source, and (slow) that re-running every code block in a real Jupyter
kernel reproduces the committed execution blocks exactly.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path

import pytest

from rcwork.records import (
    ReflectionRecord, from_dataset, from_messages, read_jsonl, read_parquet, to_dataset,
    to_messages, write_jsonl, write_parquet)

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "reflections" / "seed.jsonl"
SCRIPT = ROOT / "scripts" / "build_seed_reflections.py"


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_seed_reflections", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def builder():
    return _load_builder()


@pytest.fixture(scope="module")
def records() -> list[ReflectionRecord]:
    return read_jsonl(SEED)


@pytest.fixture(scope="module")
def seeds(builder):
    return builder.load_source()


def _kinds(rec: ReflectionRecord) -> list[str]:
    return [b.kind for b in rec.reflection_blocks]


# ------------------------------------------------------------------------------------ shape


def test_counts_and_metadata(records, builder):
    assert len(records) >= 60
    ids = [r.metadata.extra.get("task_id") for r in records]
    assert ids == [f"seed/{i:03d}" for i in range(1, len(records) + 1)]
    assert len({r.source_instruction for r in records}) == len(records), "duplicate instructions"
    for r in records:
        m = r.metadata
        assert (m.source, m.teacher, m.resolved) == ("rcwork-seed", "hand-written", True)
        assert set(m.extra) == {"task_id"}
        assert r.reanswer_instruction == builder.REANSWER_INSTRUCTION
        # RI is the stage-1 reflection prompt around the bare problem I (the paper's shape).
        assert r.instruction == builder.STAGE1.format(instruction=r.source_instruction)
        assert r.instruction != r.source_instruction


def test_block_structure(records):
    for r in records:
        tid = r.metadata.extra["task_id"]
        assert [m.role for m in r.reflection] == ["assistant"], tid
        kinds = _kinds(r)
        n_code = kinds.count("code")
        assert kinds.count("execution") >= 1, tid
        # plan text, then (code, execution, analysis text)*, ending with the passing run
        assert kinds == ["text"] + ["code", "execution", "text"] * (n_code - 1) + [
            "code", "execution"], tid
        assert r.metadata.rounds == n_code, tid
        assert all(b.content.strip() for b in r.reflection_blocks), tid
        assert [b.kind for b in r.final] == ["text", "code"], tid


def test_rounds_distribution(records):
    rounds = [r.metadata.rounds for r in records]
    failing = [n - 1 for n in rounds]
    assert sum(f >= 2 for f in failing) >= 15, "need 15+ records with 2 or more failing rounds"
    assert sum(f == 3 for f in failing) >= 5
    assert 3 <= sum(f == 0 for f in failing) <= 8, "a few single-round records (filter tests)"
    assert sum(f >= 1 for f in failing) >= 0.9 * len(records)


def test_execution_blocks_tell_failure_then_success(records):
    for r in records:
        tid = r.metadata.extra["task_id"]
        execs = [b.content for b in r.reflection_blocks if b.kind == "execution"]
        for text in execs[:-1]:
            assert "Traceback" in text, tid
            assert re.search(r"^(AssertionError|IndexError|KeyError|TypeError|ValueError|"
                             r"ZeroDivisionError)\b", text, re.M), tid
            assert "All tests passed." not in text.splitlines(), tid  # (source lines may show it)
            assert "site-packages" not in text and "\x1b[" not in text, tid
        assert execs[-1].strip() == "All tests passed.", tid


def test_code_blocks_and_final_answer(records):
    for r in records:
        tid = r.metadata.extra["task_id"]
        codes = [b.content for b in r.reflection_blocks if b.kind == "code"]
        for code in codes:
            tree = ast.parse(code)
            assert any(isinstance(n, ast.Assert) for n in ast.walk(tree)), tid
            assert any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in tree.body), tid
        final = ast.parse(r.final_code())
        for node in ast.walk(final):
            assert not isinstance(node, ast.Assert), tid
            assert not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print"), tid
            assert not (isinstance(node, ast.Call)
                        and getattr(node.func, "id", "") in ("open", "input", "exec", "eval")), tid
        # the name the instruction asks for is what the final answer defines
        defined = {n.name for n in final.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        asked = re.search(r"`([A-Za-z_]\w*)", r.source_instruction)
        assert asked and asked.group(1) in defined, (tid, asked and asked.group(1), defined)


def test_committed_file_matches_source(records, seeds, builder):
    """Rebuilding every record from the source plus the committed execution texts gives the
    committed records: the file is generated from the current source (no kernels needed)."""
    assert len(seeds) == len(records)
    for i, (seed, rec) in enumerate(zip(seeds, records)):
        execs = [b.content for b in rec.reflection_blocks if b.kind == "execution"]
        assert builder.make_record(i, seed, execs) == rec, rec.metadata.extra["task_id"]


def test_final_check_code_holds_last_attempts_tests(seeds, builder):
    seed = seeds[0]
    code = builder.final_check_code(seed)
    assert code.startswith(seed["final_code"])
    assert "assert run_length_encode" in code and code.rstrip().endswith(
        'print("All tests passed.")')
    # constants defined before the functions stay with the solution, not the tests
    units = next(s for s in seeds if s["final_code"].startswith("UNITS = {"))
    assert "UNITS" not in builder.tests_of(units["thread"][-1][1])


# -------------------------------------------------------------------------------- round trips


def test_messages_roundtrip_identity(records):
    for r in records:
        assert from_messages(to_messages(r)) == r


def test_jsonl_parquet_dataset_roundtrips(records, tmp_path):
    write_jsonl(records, tmp_path / "seed.jsonl")
    assert read_jsonl(tmp_path / "seed.jsonl") == records
    assert (tmp_path / "seed.jsonl").read_bytes() == SEED.read_bytes()
    write_parquet(records, tmp_path / "seed.parquet")
    assert read_parquet(tmp_path / "seed.parquet") == records
    assert from_dataset(to_dataset(records)) == records


# ------------------------------------------------------------------- the build checks itself


def _tiny_seed(first_raises, first_code, second_code):
    return {
        "instruction": "Write `double(x: int) -> int`.",
        "thread": [("text", "plan"), ("code", first_code, first_raises), ("text", "analysis"),
                   ("code", second_code, None)],
        "final_text": "Done.",
        "final_code": "def double(x: int) -> int:\n    return 2 * x",
    }


GOOD = "def double(x):\n    return 2 * x\n\nassert double(2) == 4\nprint('All tests passed.')"
BAD = "def double(x):\n    return x + 2\n\nassert double(3) == 6, double(3)\nprint('All tests passed.')"


def test_build_rejects_a_buggy_attempt_that_passes(builder):
    with pytest.raises(builder.SeedError, match=r"seed/004: the buggy attempt 1 did not fail"):
        builder.execute_seed(3, _tiny_seed("AssertionError", GOOD, GOOD), final=False)


def test_build_rejects_a_fixed_attempt_that_fails(builder):
    with pytest.raises(builder.SeedError, match=r"seed/002: the fixed attempt 2 did not pass"):
        builder.execute_seed(1, _tiny_seed("AssertionError", BAD, BAD), final=False)


def test_build_rejects_the_wrong_exception_and_a_bad_final(builder):
    with pytest.raises(builder.SeedError, match=r"seed/001: .* not with KeyError"):
        builder.execute_seed(0, _tiny_seed("KeyError", BAD, GOOD), final=False)
    seed = _tiny_seed("AssertionError", BAD, GOOD)
    seed["final_code"] = "def double(x: int) -> int:\n    return x - 1"
    with pytest.raises(builder.SeedError, match=r"seed/001: the final code fails"):
        builder.execute_seed(0, seed, final=True)
    with pytest.raises(builder.SeedError, match="final code contains a print"):
        builder.validate_seed("seed/009", {**seed, "final_code": "print(1)"})


# ------------------------------------------------------------------------ real re-execution


@pytest.mark.slow
def test_rerunning_the_kernels_reproduces_the_execution_blocks(records, seeds, builder):
    """One fresh kernel per record, two at a time: about a minute for 80 records on two busy
    cores (the final-answer checks of the full build are left out here)."""
    texts = builder.execute_all(seeds, workers=2, final=False)
    for rec, got in zip(records, texts):
        want = [b.content for b in rec.reflection_blocks if b.kind == "execution"]
        assert got == want, rec.metadata.extra["task_id"]
