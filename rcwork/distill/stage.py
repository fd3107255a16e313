"""The distillation stage as one function: ``distill(DistillConfig) -> metrics``.

``rcwork distill`` (flags = the config's fields), notebook 04 (its ``config`` parameter) and the
pipeline profiles all end here, so a default lives in :class:`DistillConfig` and nowhere else.
The steps, in order: load the model, read, encode and split the records, train, measure the
held-out losses before and after, save a checkpoint that ``rcwork evaluate`` loads, write
``metrics.json``.

Outputs under ``output_dir``: ``model/`` (a save_pretrained folder with the tokenizer and
``rcwork.json``, which names the prompt style the checkpoint was trained for), ``metrics.json``,
and the Trainer's checkpoints and TensorBoard logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from rcwork.checkpoints import resume_checkpoint
from rcwork.distill.data import TrainingData, load_training_data
from rcwork.distill.loss import heldout_metrics
from rcwork.distill.trainer import (DistillConfig, DistillTrainer, choose_attention,
                                    save_for_evaluation, write_metrics)
from rcwork.progress import DISTILL_COLUMNS, use_progress
from rcwork.stage_files import DistillMetrics


@dataclass
class Prepared:
    """The model and data of a distillation run, before training (what notebook 04 shows)."""

    cfg: DistillConfig
    model: Any
    tokenizer: Any
    data: TrainingData
    attention: str


def prepare(cfg: DistillConfig) -> Prepared:
    """Load the model and the training data of ``cfg``."""
    from rcwork.models import load_model

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    model, tokenizer = load_model(cfg.model, seed=cfg.seed, token_init=cfg.token_init)
    attention = choose_attention(model, cfg.attn)
    data = load_training_data(cfg.data, tokenizer, max_len=cfg.max_len, heldout=cfg.heldout,
                              k=cfg.upsample_k, seed=cfg.seed, ablation=cfg.ablation,
                              instruction_data=cfg.instruction_data or None,
                              errors=cfg.data_errors)
    return Prepared(cfg, model, tokenizer, data, attention)


def train(prep: Prepared) -> DistillMetrics | None:
    """Train ``prep``'s model, save the checkpoint and ``metrics.json``; returns the metrics
    (``None`` on the processes of a distributed run other than the main one)."""
    cfg, tok, held = prep.cfg, prep.tokenizer, prep.data.heldout
    out = Path(cfg.output_dir)
    trainer = DistillTrainer(model=prep.model, args=cfg, train_dataset=prep.data.train,
                             eval_dataset=held or None, processing_class=tok)
    use_progress(trainer, DISTILL_COLUMNS, title="distillation")
    resume = cfg.resume or None
    if resume == "last":  # the newest checkpoint with steps left (None: start afresh)
        resume = resume_checkpoint(cfg.output_dir, cfg.max_steps)
    before = (heldout_metrics(prep.model, tok, held, max_len=cfg.max_len)
              if held and cfg.measure_before else None)
    trainer.train(resume_from_checkpoint=resume)
    after = (heldout_metrics(trainer.model, tok, held, max_len=cfg.max_len)
             if held and cfg.measure_after else None)
    save_for_evaluation(trainer, out / "model")
    if not trainer.is_world_process_zero():
        return None
    return write_metrics(out / "metrics.json", trainer=trainer, before=before, after=after,
                         extra={**prep.data.summary(), "attention": prep.attention})


def distill(cfg: DistillConfig) -> DistillMetrics | None:
    """Run the whole stage; returns what ``metrics.json`` holds (see :func:`train`)."""
    prep = prepare(cfg)
    print(prep.data, f"attention: {prep.attention}", sep="\n", flush=True)
    return train(prep)
