"""Format warm-up (rcwork's addition; off in the authors' configuration).

A 135M model almost never writes the trajectory format on its own, so every completion earns 0,
every group has zero advantage and GRPO learns nothing.  A short supervised pass on well-formed
trajectories fixes that for the CPU lesson.  The trajectories are converted from reflection
records (:mod:`rcwork.records`, e.g. ``data/reflections/seed.jsonl``):

* the plan (the first text block) → ``<think>``;
* each code attempt, its own asserts and prints dropped → an ``<answer>``;
* the analysis text written between two attempts → a ``<reflection>`` opening with
  ``STATUS: BUG_DETECTED``;
* a record solved at the first attempt gets one ``STATUS: OPTIMIZATION_ONLY`` reflection (the
  final answer's text) and the final code as its last answer, since the grammar needs at least
  one reflection.

The prompt is the one GRPO samples from (:func:`rcwork.reflexi.data.chat_prompt`): the system
prompt and the **bare problem** (the record's source instruction I), not the stage-1 reflection
instruction RI the teacher saw — RI asks for assert tests and a Jupyter session, which neither
GRPO nor evaluation ever show the model, so warming up on it would teach the format under a
prompt the policy never meets.  Converted trajectories must be well formed under the *strict*
grammar (:mod:`rcwork.reflexi.trajectory`): the warm-up teaches the format exactly as the system
prompt spells it, which the authors' reward grammar also accepts.

Execution blocks are dropped: a ReflexiCoder model has no executor at inference.  The analyses
still quote what the kernel printed, which a model cannot know without running the code — an
accepted imperfection of borrowing ReflectionCoder's data; the warm-up teaches the *format*, the
rewards teach the content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from rcwork.evaluation.data import BenchmarkProblem
from rcwork.evaluation.prompts import sanitize
from rcwork.records import ReflectionRecord, read_records
from rcwork.reflexi.trajectory import STATUS_BUG, STATUS_OPTIMIZATION, parse_trajectory


def _answer(code: str) -> str:
    return f"<answer>\n```python\n{sanitize(code).strip()}\n```\n</answer>"


def record_to_trajectory(record: ReflectionRecord) -> str:
    """A reflection record as a well-formed trajectory (module docstring for the mapping)."""
    blocks = record.reflection_blocks
    plan = next((b.content for b in blocks if b.kind == "text"), "").strip()
    attempts: list[tuple[str, str]] = []  # (analysis before it, code)
    pending: list[str] = []
    seen_code = False
    for block in blocks:
        if block.kind == "code":
            attempts.append(("\n".join(pending).strip(), block.content))
            pending, seen_code = [], True
        elif block.kind == "text" and seen_code:
            pending.append(block.content)
    if not attempts:
        raise ValueError("the record has no code attempt to turn into an answer")
    parts = [f"<think>\n{plan}\n</think>", _answer(attempts[0][1])]
    for analysis, code in attempts[1:]:
        parts.append(f"<reflection>\nSTATUS: {STATUS_BUG}\n{analysis}\n</reflection>")
        parts.append(_answer(code))
    if len(attempts) == 1:
        note = "\n".join(b.content for b in record.final if b.kind == "text").strip()
        parts.append(f"<reflection>\nSTATUS: {STATUS_OPTIMIZATION}\n{note}\n</reflection>")
        parts.append(_answer(record.final_code()))
    text = "\n".join(parts)
    traj = parse_trajectory(text, "strict")
    if not traj.well_formed:  # e.g. a record whose own text holds a closing tag
        raise ValueError(f"converted trajectory is malformed: {traj.reason}")
    return text


def warmup_rows(records: Sequence[ReflectionRecord], system_prompt: str, tokenizer: Any, *,
                max_tokens: int, exclude_entry_points: set[str] = frozenset()
                ) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Prompt-completion rows for SFT, and counts of what was kept and skipped.

    Trajectories longer than ``max_tokens`` (the GRPO completion budget) are skipped: teaching a
    length the rollouts would truncate only earns masked, zero-reward completions.  Records whose
    function name is one of ``exclude_entry_points`` (the held-out problems') are skipped too.
    """
    rows, counts = [], {"kept": 0, "too_long": 0, "held_out": 0, "unconvertible": 0}
    for rec in records:
        entry = rec.metadata.extra.get("entry_point") or _defined_name(rec.final_code())
        if entry in exclude_entry_points:
            counts["held_out"] += 1
            continue
        try:
            text = record_to_trajectory(rec)
        except ValueError:
            counts["unconvertible"] += 1
            continue
        if len(tokenizer(text, add_special_tokens=False)["input_ids"]) > max_tokens:
            counts["too_long"] += 1
            continue
        rows.append({"prompt": warmup_prompt(rec, system_prompt, entry),
                     "completion": [{"role": "assistant", "content": text}]})
        counts["kept"] += 1
    return rows, counts


def warmup_prompt(record: ReflectionRecord, system_prompt: str, entry_point: str = ""
                  ) -> list[dict[str, str]]:
    """The conversation GRPO would sample this record's problem with: the system prompt and
    the bare problem I (``record.source_instruction``), built by GRPO's own prompt builder."""
    from rcwork.reflexi.data import chat_prompt

    problem = BenchmarkProblem(task_id=str(record.metadata.extra.get("task_id", "")), prompt="",
                               instruction=record.source_instruction, entry_point=entry_point,
                               test="")
    return chat_prompt(problem, system_prompt)


def _defined_name(code: str) -> str:
    import re

    m = re.search(r"^def\s+(\w+)\s*\(", code, re.M)
    return m.group(1) if m else ""


def format_warmup(model: Any, tokenizer: Any, records_path: str | Path, system_prompt: str, *,
                  steps: int, output_dir: str | Path, max_tokens: int, learning_rate: float,
                  batch_size: int, seed: int = 0, exclude_entry_points: set[str] = frozenset(),
                  use_cpu: bool = True) -> dict[str, Any]:
    """Supervised steps on converted trajectories (loss on the completion only), in place.

    Returns what was trained on and the loss curve.
    """
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from rcwork.progress import SFT_COLUMNS, use_progress

    rows, counts = warmup_rows(read_records(records_path), system_prompt, tokenizer,
                               max_tokens=max_tokens, exclude_entry_points=exclude_entry_points)
    if not rows:
        raise ValueError(f"{records_path}: no record converts into a trajectory of at most "
                         f"{max_tokens} tokens ({counts})")
    config = SFTConfig(output_dir=str(output_dir), max_steps=steps, learning_rate=learning_rate,
                       per_device_train_batch_size=batch_size, lr_scheduler_type="constant",
                       logging_steps=1, save_strategy="no", report_to="none", seed=seed,
                       use_cpu=use_cpu, bf16=not use_cpu, activation_checkpointing=False,
                       completion_only_loss=True, max_length=None, disable_tqdm=True)
    trainer = SFTTrainer(model=model, args=config, train_dataset=Dataset.from_list(rows),
                         processing_class=tokenizer)
    use_progress(trainer, SFT_COLUMNS, title="format warm-up")
    trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    model.eval()
    return {"steps": steps, "records": counts, "loss": losses}
