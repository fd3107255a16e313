"""``rcwork reinforce``: GRPO on the ReflexiCoder trajectory (the steps of notebooks/06_reinforce).

The parser is ``HfArgumentParser(ReinforceConfig)``: every flag is a config field, TRL's and
transformers' included (``--deepspeed``, ``--use_vllm``, ``--save_steps`` …).  ``--config cpu``
starts from the CPU lesson's profile (``configs/profiles/cpu.toml``: a small group, short
completions, the format warm-up), ``--config authors`` from the authors' run shape; any flag
given beside it still wins.

    rcwork reinforce --config cpu --model embedded --output_dir runs/reinforce
    accelerate launch --config_file zero2.yaml -m rcwork reinforce --model Qwen/Qwen3-8B \\
        --use_vllm --vllm_mode colocate --output_dir runs/reinforce-8b

Outputs under ``--output_dir``: ``model/``, ``metrics.json``, ``heldout_*.jsonl``,
``checkpoint-*/`` (resumed from automatically; ``--resume false`` starts over).
"""

from __future__ import annotations

import json
import sys


def parse(argv: list[str]):
    """The ReinforceConfig that ``argv`` describes (``--config`` profile, then flags)."""
    from rcwork.reflexi.config import ReinforceConfig
    from rcwork.stages import parse_cli

    return parse_cli(ReinforceConfig, argv, prog="rcwork reinforce", stage="reinforce",
                     description=__doc__.splitlines()[0])


def main(argv: list[str] | None = None) -> int:
    from rcwork.stages import run_cli

    argv = sys.argv[1:] if argv is None else argv
    return run_cli("rcwork reinforce", lambda: _train(parse(argv)))


def _train(cfg) -> int:
    from rcwork.reflexi.train import reinforce

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
