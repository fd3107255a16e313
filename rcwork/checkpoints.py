"""What a checkpoint says about itself: ``rcwork.json`` beside its weights.

A model distilled here was trained on the paper's text format, so it must be prompted with the
paper's test prompt and stopped at the end of its answer; a published model is prompted with
its own chat template.  Distillation writes the prompt style into the checkpoint, and
evaluation's ``auto`` style reads it back, so the choice travels with the weights instead of
being guessed from the tokenizer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CHECKPOINT_FILE = "rcwork.json"


def write_checkpoint_info(path: str | Path, *, prompt_style: str, **info: Any) -> Path:
    out = Path(path) / CHECKPOINT_FILE
    out.write_text(json.dumps({"prompt_style": prompt_style, **info}, indent=1) + "\n",
                   encoding="utf-8")
    return out


def checkpoint_info(model: str | Path) -> dict[str, Any]:
    """The ``rcwork.json`` of a checkpoint folder; ``{}`` for anything else (a hub id,
    ``embedded``, a folder trained elsewhere)."""
    path = Path(model) / CHECKPOINT_FILE
    if not path.is_file():
        return {}
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not a JSON object ({e})") from None
    if not isinstance(info, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return info
