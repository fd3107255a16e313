"""What a checkpoint says about itself: ``rcwork.json`` beside its weights.

A model distilled here was trained on the paper's text format, so it must be prompted with the
paper's test prompt and stopped at the end of its answer; a published model is prompted with
its own chat template.  Distillation writes the prompt style into the checkpoint, and
evaluation's ``auto`` style reads it back, so the choice travels with the weights instead of
being guessed from the tokenizer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rcwork.stage_files import StageFileError, read_json, write_json

CHECKPOINT_FILE = "rcwork.json"


def write_checkpoint_info(path: str | Path, *, prompt_style: str, **info: Any) -> Path:
    return write_json(Path(path) / CHECKPOINT_FILE, {"prompt_style": prompt_style, **info})


def checkpoint_info(model: str | Path) -> dict[str, Any]:
    """The ``rcwork.json`` of a checkpoint folder; ``{}`` for anything else (a hub id,
    ``embedded``, a folder trained elsewhere)."""
    path = Path(model) / CHECKPOINT_FILE
    if not path.is_file():
        return {}
    info = read_json(path)
    if not isinstance(info, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return info


def resume_checkpoint(output_dir: str | Path, max_steps: int | None = None) -> str | None:
    """The newest ``Trainer`` checkpoint under ``output_dir`` that still has steps to train.

    ``max_steps`` is the run's target (``None`` or ≤ 0: the target each checkpoint recorded,
    as an epoch-based run computes it).  A checkpoint already at the target is passed over:
    ``Trainer`` resumed from it trains one step past ``max_steps`` (measured with
    transformers 5), so the run resumes from the checkpoint before, or restarts.  A checkpoint
    a kill cut short (no ``trainer_state.json``) is passed over too.
    """
    best: tuple[int, Path] | None = None
    for ckpt in Path(output_dir).glob("checkpoint-*"):
        state_path = ckpt / "trainer_state.json"
        try:
            state = read_json(state_path)
        except (OSError, StageFileError):
            continue
        step = state.get("global_step", 0)
        target = max_steps if max_steps and max_steps > 0 else state.get("max_steps", 0)
        if step < target and (best is None or step > best[0]):
            best = (step, ckpt)
    return str(best[1]) if best else None
