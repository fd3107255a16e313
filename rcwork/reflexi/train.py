"""``reinforce(cfg)``: GRPO on the ReflexiCoder trajectory with sandboxed rewards.

The same steps as notebooks/06_reinforce.ipynb, in order:

1. load the policy and the problems; hold some problems out;
2. measure the held-out problems (format rate, pass@1, tokens) — ``base``;
3. optionally warm the format up (rcwork's addition, ``format_warmup_steps > 0``) and measure
   again — ``warmed_up``;
4. GRPO with TRL's ``GRPOTrainer``: ``num_generations`` completions per prompt, three rewards
   (``F``, ``P·R``, ``P·E``; weights 1.0, 0.5, 1.0) from executing every answer in the sandbox;
   resumes from the newest ``checkpoint-*`` under ``output_dir``;
5. measure the held-out problems again — ``trained``; save ``model/`` and ``metrics.json``.

Files under ``output_dir``: ``checkpoint-*/`` (trainer state), ``model/`` (save_pretrained, for
``rcwork evaluate``), ``start/`` (the policy GRPO starts from: the KL reference and the
restart point), ``before.json`` (steps 2–3, reused on resume), ``heldout_<stage>.jsonl``
(every held-out completion, scored), ``metrics.json``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rcwork.checkpoints import resume_checkpoint
from rcwork.progress import GRPO_COLUMNS, use_progress
from rcwork.reflexi.config import ReinforceConfig
from rcwork.reflexi.rewards import REWARD_WEIGHTS, TrajectoryRewards
from rcwork.stage_files import ReinforceMetrics, read_json, write_json

CURVE_KEYS = {"reward": "reward", "completion_length": "completions/mean_length",
              "clipped_ratio": "completions/clipped_ratio", "kl": "kl", "loss": "loss",
              "learning_rate": "learning_rate"}


def training_curves(log_history: list[dict[str, Any]]) -> dict[str, list]:
    """Per-step series from the trainer's log: each reward's mean, the total, lengths, and the
    step's wall-clock seconds (generation, rewards and backward; TRL's ``step_time``)."""
    rows = [h for h in log_history if "reward" in h and "step" in h]
    curves: dict[str, list] = {"step": [h["step"] for h in rows]}
    for name in REWARD_WEIGHTS:
        curves[name] = [h.get(f"rewards/{name}/mean") for h in rows]
    for key, source in CURVE_KEYS.items():
        curves[key] = [h.get(source) for h in rows]
    curves["step_time_s"] = [h.get("step_time") for h in rows]
    return curves


def save_start(model: Any, tokenizer: Any, folder: Path) -> None:
    """Keep the policy as it starts GRPO in ``folder`` and make it GRPO's KL reference.

    TRL builds the reference model from ``model.config._name_or_path``, which names the base
    checkpoint (or nothing, for an in-process model), not the warmed-up weights.  The saved
    folder also lets a run killed before its first checkpoint restart GRPO without redoing the
    warm-up.
    """
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    model.config._name_or_path = str(folder)


def _mean(values: list[Any]) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def reinforce(cfg: ReinforceConfig) -> ReinforceMetrics:
    """Run steps 1–5 of the module docstring; returns what ``metrics.json`` holds."""
    import torch
    from trl import GRPOTrainer

    from rcwork.models import load_model
    from rcwork.reflexi.data import grpo_dataset, load_training_problems, split_problems
    from rcwork.reflexi.evaluate import evaluate_model
    from rcwork.reflexi.execution import AnswerScorer
    from rcwork.reflexi.warmup import format_warmup

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)

    before_path, start = out / "before.json", out / "start"
    before = (read_json(before_path)
              if cfg.resume and before_path.exists() and (start / "config.json").exists()
              else None)
    # Resuming: the measured, warmed-up starting policy is on disk (a checkpoint, if any, then
    # replaces its weights); otherwise start from the named model.
    model, tokenizer = load_model(str(start) if before else cfg.model, reflection_tokens=False,
                                  seed=cfg.seed)
    problems = load_training_problems(cfg.benchmark, cfg.problems, cfg.num_problems)
    train, held = split_problems(problems, cfg.heldout, seed=cfg.seed)
    scorer = AnswerScorer(timeout_s=cfg.score_timeout_s, memory_mb=cfg.score_memory_mb,
                          workers=cfg.score_workers)

    def measure(stage: str) -> dict[str, Any] | None:
        if not (cfg.evaluate_heldout and held):
            return None
        t0 = time.perf_counter()
        summary = evaluate_model(model, tokenizer, held, cfg.system_prompt, scorer,
                                 max_new_tokens=cfg.heldout_max_new_tokens,
                                 out_path=out / f"heldout_{stage}.jsonl")
        summary["wall_s"] = round(time.perf_counter() - t0, 1)
        print(f"[reinforce] held-out {stage}: pass@1 {summary['pass@1']:.3f}, format "
              f"{summary['format_rate']:.2f}, {summary['tokens_per_completion']:.0f} tokens",
              flush=True)
        return summary

    last = resume_checkpoint(out, cfg.max_steps) if before else None
    if before:
        print(f"[reinforce] resuming from {last or start}", flush=True)
    else:
        before = {"base": measure("base"), "warmup": None, "warmed_up": None}
        if cfg.format_warmup_steps:
            before["warmup"] = format_warmup(
                model, tokenizer, cfg.warmup_records, cfg.system_prompt,
                steps=cfg.format_warmup_steps, output_dir=out / "warmup",
                max_tokens=cfg.warmup_max_tokens or cfg.max_completion_length, learning_rate=cfg.warmup_learning_rate,
                batch_size=cfg.warmup_batch_size, seed=cfg.seed, use_cpu=cfg.use_cpu,
                exclude_entry_points={p.entry_point for p in held})
            before["warmed_up"] = measure("warmed_up")
        save_start(model, tokenizer, start)
        write_json(before_path, before)
    rewards = TrajectoryRewards(scorer, cfg.reward_grammar)
    trainer = GRPOTrainer(model=model, reward_funcs=rewards.functions(), args=cfg,
                          train_dataset=grpo_dataset(train, cfg.system_prompt),
                          processing_class=tokenizer)
    use_progress(trainer, GRPO_COLUMNS, title="GRPO")
    t0 = time.perf_counter()
    trainer.train(resume_from_checkpoint=last)
    train_s = time.perf_counter() - t0
    model = trainer.model
    after = measure("trained")
    trainer.save_model(str(out / "model"))
    tokenizer.save_pretrained(str(out / "model"))

    curves = training_curves(trainer.state.log_history)
    format_curve = [v for v in curves["format_reward"] if v is not None]
    metrics = ReinforceMetrics.from_dict({
        "model": cfg.model, "benchmark": cfg.benchmark, "problems": cfg.problems,
        "train_problems": len(train), "heldout_problems": [p.task_id for p in held],
        "settings": {k: getattr(cfg, k) for k in (
            "num_generations", "per_device_train_batch_size", "max_completion_length",
            "max_steps", "beta", "learning_rate", "lr_scheduler_type", "temperature",
            "mask_truncated_completions", "reward_weights", "format_warmup_steps", "seed")},
        "resumed_from": last,
        "warmup": before["warmup"],
        "heldout": {"base": before["base"], "warmed_up": before["warmed_up"], "trained": after},
        "training_format_rate": {"first_step": format_curve[0] if format_curve else None,
                                 "last_step": format_curve[-1] if format_curve else None},
        "mean_reward": {name: _mean(curves[name]) for name in REWARD_WEIGHTS},
        "tokens_per_completion": _mean(curves["completion_length"]),
        "step_time_s": _mean(curves["step_time_s"]),
        "train_wall_s": round(train_s, 1),
        "steps": trainer.state.global_step,
        "executed_answers": scorer.executed,
        "curves": curves,
    }, source=str(out))
    metrics.write(out)
    return metrics
