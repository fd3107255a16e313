"""``rcwork reinforce``: GRPO on the ReflexiCoder trajectory (the steps of notebooks/06_reinforce).

The parser is ``HfArgumentParser(ReinforceConfig)``: every flag is a config field, TRL's and
transformers' included (``--deepspeed``, ``--use_vllm``, ``--save_steps`` …).  ``--preset cpu``
starts from the CPU lesson's values (a small group, short completions, the format warm-up) and
any flag given after it still wins.

    rcwork reinforce --preset cpu --model embedded --output_dir runs/reinforce
    accelerate launch --config_file zero2.yaml -m rcwork reinforce --model Qwen/Qwen3-8B \\
        --use_vllm --vllm_mode colocate --output_dir runs/reinforce-8b

Outputs under ``--output_dir``: ``model/``, ``metrics.json``, ``heldout_*.jsonl``,
``checkpoint-*/`` (resumed from automatically; ``--resume false`` starts over).
"""

from __future__ import annotations

import json
import sys

PRESETS = ("authors", "cpu")


def _split_preset(argv: list[str]) -> tuple[str, list[str]]:
    """Take ``--preset NAME`` (or ``--preset=NAME``) out of argv."""
    preset, rest, i = "authors", [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--preset":
            if i + 1 >= len(argv):
                raise SystemExit("rcwork reinforce: --preset needs a value: authors or cpu")
            preset, i = argv[i + 1], i + 2
            continue
        if arg.startswith("--preset="):
            preset = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    if preset not in PRESETS:
        raise SystemExit(f"rcwork reinforce: unknown preset {preset!r}; choose from {PRESETS}")
    return preset, rest


def parse(argv: list[str]):
    """The ReinforceConfig that ``argv`` describes."""
    from transformers import HfArgumentParser

    from rcwork.reflexi.config import CPU_LESSON, ReinforceConfig

    preset, rest = _split_preset(argv)
    parser = HfArgumentParser(ReinforceConfig, prog="rcwork reinforce",
                              description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=PRESETS, default=preset,
                        help="authors (the default config) or cpu (the CPU lesson's values)")
    if preset == "cpu":
        parser.set_defaults(**CPU_LESSON)
    parsed = parser.parse_args_into_dataclasses(args=rest)
    return parsed[0]  # then the namespace holding --preset


def main(argv: list[str] | None = None) -> int:
    from rcwork.reflexi.train import reinforce

    cfg = parse(sys.argv[1:] if argv is None else argv)
    metrics = reinforce(cfg)
    shown = {"steps": metrics.steps, "mean_reward": metrics.mean_reward,
             "training_format_rate": metrics.training_format_rate,
             "tokens_per_completion": metrics.tokens_per_completion,
             "step_time_s": metrics.step_time_s,
             "heldout_pass@1": {stage: (s or {}).get("pass@1")
                                for stage, s in metrics.heldout.items()}}
    print(json.dumps(shown, indent=1))
    print(f"metrics: {cfg.output_dir}/metrics.json; checkpoint: {cfg.output_dir}/model")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
