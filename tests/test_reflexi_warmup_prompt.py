"""The format warm-up prompts the policy the way GRPO and evaluation do (issue 18, section 3).

Before, all 80 warm-up prompts were RI — the stage-1 reflection instruction with its assert /
Jupyter wording — while GRPO prompts with the bare problem; the warm-up taught the format under a
prompt the policy never meets again.
"""

from __future__ import annotations

from rcwork.evaluation.data import BenchmarkProblem
from rcwork.records import read_records
from rcwork.reflexi.config import SYSTEM_PROMPT
from rcwork.reflexi.data import chat_prompt, problem_row
from rcwork.reflexi.trajectory import parse_trajectory
from rcwork.reflexi.warmup import record_to_trajectory, warmup_rows


def test_warmup_prompts_are_the_grpo_prompts(tiny):
    _, tokenizer = tiny
    records = read_records("data/reflections/seed.jsonl")
    rows, counts = warmup_rows(records, SYSTEM_PROMPT, tokenizer, max_tokens=100_000)
    assert counts["kept"] == len(records) == 80
    for rec, row in zip(records, rows):
        # The same builder GRPO's dataset rows use, on the record's bare problem I.
        grpo = problem_row(BenchmarkProblem(task_id="x", prompt="", instruction=rec.source_instruction,
                                            entry_point="f", test="t"), SYSTEM_PROMPT)["prompt"]
        assert row["prompt"] == grpo == chat_prompt(
            BenchmarkProblem("y", "", rec.source_instruction, "", ""), SYSTEM_PROMPT)
        assert row["prompt"][1]["content"] != rec.instruction  # never RI
        assert rec.instruction not in row["prompt"][1]["content"]


def test_warmup_trajectories_are_strictly_well_formed():
    for rec in read_records("data/reflections/seed.jsonl"):
        text = record_to_trajectory(rec)
        strict, authors = parse_trajectory(text, "strict"), parse_trajectory(text)
        assert strict.well_formed, strict.reason
        # The two readings agree on a strictly formed text, except that the authors' code
        # extraction strips each block.
        assert authors.well_formed and authors.n_reflections == strict.n_reflections
        assert authors.answers == [c.strip() for c in strict.answers]
