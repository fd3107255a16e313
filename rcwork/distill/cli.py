"""``rcwork distill``: train with dynamically masked reflection self-distillation.

Every flag is a field of :class:`rcwork.distill.trainer.DistillConfig` (``HfArgumentParser``, as
TRL's scripts do): the method's knobs, the stage's inputs and all of ``TrainingArguments``.
``--config PROFILE_OR_FILE`` starts from a profile's ``[distill]`` table; flags win over it.
Relative paths start at the project root, wherever the command runs.

    rcwork distill --config demo                      # the lesson's settings (configs/profiles/)
    rcwork distill --model embedded --data data/reflections/seed.jsonl --output_dir runs/distill
    rcwork distill --data data/reflections/seed.jsonl runs/syn/kept --upsample_k 2
    torchrun --nproc_per_node 8 -m rcwork distill --model PATH --data DIR --bf16 \\
        --deepspeed configs/deepspeed/zero3.json --output_dir runs/distill
"""

from __future__ import annotations

import json

from rcwork.stages import parse_cli, run_cli


def main(argv: list[str]) -> int:
    from rcwork.distill.stage import distill
    from rcwork.distill.trainer import DistillConfig

    def run() -> int:
        cfg = parse_cli(DistillConfig, argv, prog="rcwork distill", stage="distill",
                        description=__doc__)
        metrics = distill(cfg)
        if metrics is not None:
            print(json.dumps({"heldout": metrics.heldout, "steps": metrics.steps}, indent=1))
        return 0

    return run_cli("rcwork distill", run)
