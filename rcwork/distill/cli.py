"""``rcwork distill``: train with dynamically masked reflection self-distillation.

The same steps as notebooks/04_distill.ipynb, in the same order: load the model, read and split
the records, encode and mix the data, train, measure the held-out losses before and after, save
a checkpoint that ``rcwork evaluate`` loads, write ``metrics.json``.

    rcwork distill --model embedded --data data/reflections/seed.jsonl --output-dir runs/distill
    torchrun --nproc_per_node 8 -m rcwork distill --model PATH --data DIR --bf16 \\
        --deepspeed configs/deepspeed/zero3.json --output-dir runs/distill

Outputs under ``--output-dir``: ``model/`` (save_pretrained folder with the tokenizer),
``metrics.json``, and ``trainer/`` (Trainer checkpoints and TensorBoard logs).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from rcwork.distill.masks import DEFAULT_ORDER, STRATEGIES


def _heldout(value: str) -> float | int:
    return float(value) if "." in value else int(value)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="embedded", help="tiny, embedded, a folder or a hub id")
    p.add_argument("--data", default="data/reflections/seed.jsonl",
                   help="reflection records (.jsonl/.parquet file or a folder of them)")
    p.add_argument("--instruction-data", default="",
                   help="instruction pairs (JSONL) mixed in with NTP loss only")
    p.add_argument("--heldout", type=_heldout, default=0.2,
                   help="held-out records: a fraction (0.2) or a count (8)")
    p.add_argument("--output-dir", default="runs/distill")
    p.add_argument("--strategy", choices=STRATEGIES, default="block")
    p.add_argument("--order", default=DEFAULT_ORDER, help="block order, e.g. EAC")
    p.add_argument("--k", type=int, default=2, help="reflection up-sampling factor")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--max-steps", type=int, default=-1, help="overrides --epochs when > 0")
    p.add_argument("--learning-rate", type=float, default=5e-5)
    p.add_argument("--warmup", type=float, default=0.1, help="warm-up ratio (<1) or steps")
    p.add_argument("--max-len", type=int, default=2048)
    p.add_argument("--batch-size", type=int, default=2, help="per device")
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--ntp-weight", type=float, default=1.0)
    p.add_argument("--student-weight", type=float, default=1.0)
    p.add_argument("--kl-weight", type=float, default=1.0)
    p.add_argument("--student-form", choices=("dropped", "attention"), default="dropped")
    p.add_argument("--layout", choices=("auto", "rows", "padded", "varlen"), default="auto")
    p.add_argument("--ablation", choices=("none", "all_mask", "no_distill", "no_reflection"),
                   default="none")
    p.add_argument("--attn", default="auto",
                   help="attention implementation: auto (flash_attention_2 when installed on a "
                        "GPU, else the model's), sdpa, eager, flash_attention_2")
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--gradient-checkpointing", action="store_true")
    p.add_argument("--deepspeed", default=None, help="e.g. configs/deepspeed/zero3.json")
    p.add_argument("--eval-steps", type=int, default=0, help="held-out eval every N steps")
    p.add_argument("--save-steps", type=int, default=0, help="Trainer checkpoint every N steps")
    p.add_argument("--resume", default=None,
                   help="a trainer checkpoint folder, or 'last' for the newest in output-dir")
    p.add_argument("--report-to", default="tensorboard", help="tensorboard, none, ...")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: leave as is)")


def run(args: argparse.Namespace) -> int:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from rcwork.distill.data import (fit_records, prepare_dataset, read_instruction_data,
                                     split_heldout)
    from rcwork.distill.loss import heldout_metrics
    from rcwork.distill.trainer import (DistillConfig, DistillTrainer, choose_attention,
                                        save_for_evaluation, write_metrics)
    from rcwork.models import load_model
    from rcwork.records import read_records

    out = Path(args.output_dir)
    model, tokenizer = load_model(args.model, seed=args.seed)
    attn = choose_attention(model, args.attn)
    records, fit = fit_records(read_records(args.data), tokenizer, args.max_len)
    train, heldout = split_heldout(records, args.heldout, seed=args.seed)
    pairs = read_instruction_data(args.instruction_data)
    data = prepare_dataset(train, pairs, tokenizer, k=args.k, max_len=args.max_len,
                           ablation=args.ablation)
    print(f"records: {fit}; {len(train)} training / {len(heldout)} held out; {data.train}; "
          f"attention: {attn}", flush=True)

    world = int(os.environ.get("WORLD_SIZE", "1"))
    config = DistillConfig(
        output_dir=str(out / "trainer"), strategy=args.strategy, order=args.order,
        upsample_k=args.k, ntp_weight=args.ntp_weight, student_weight=args.student_weight,
        kl_weight=args.kl_weight, student_form=args.student_form, layout=args.layout,
        max_len=args.max_len, ablation=args.ablation, num_train_epochs=args.epochs,
        max_steps=args.max_steps, learning_rate=args.learning_rate, warmup_steps=args.warmup,
        per_device_train_batch_size=args.batch_size, gradient_accumulation_steps=args.grad_accum,
        bf16=args.bf16, activation_checkpointing=args.gradient_checkpointing,
        deepspeed=args.deepspeed, seed=args.seed, report_to=args.report_to,
        use_cpu=not torch.cuda.is_available(),
        ddp_backend="gloo" if world > 1 and not torch.cuda.is_available() else None,
        eval_strategy="steps" if args.eval_steps and heldout else "no",
        eval_steps=args.eval_steps or None,
        save_strategy="steps" if args.save_steps else "no", save_steps=args.save_steps or 500,
        disable_tqdm=True)
    trainer = DistillTrainer(model=model, args=config, train_dataset=data.train,
                             eval_dataset=heldout or None, processing_class=tokenizer)
    before = (heldout_metrics(model, tokenizer, heldout, max_len=args.max_len)
              if heldout and not args.resume else None)
    resume = args.resume
    if resume == "last":
        from transformers.trainer_utils import get_last_checkpoint

        resume = get_last_checkpoint(config.output_dir)
    trainer.train(resume_from_checkpoint=resume)
    after = heldout_metrics(trainer.model, tokenizer, heldout, max_len=args.max_len) \
        if heldout else None
    save_for_evaluation(trainer, out / "model")
    if trainer.is_world_process_zero():
        metrics = write_metrics(out / "metrics.json", trainer=trainer, before=before, after=after,
                                extra={"model": args.model, "data": args.data,
                                       "train_records": len(train),
                                       "heldout_records": len(heldout),
                                       "rejected": fit.rejected + data.report.rejected,
                                       "attention": attn})
        print(json.dumps({"heldout": metrics["heldout"], "steps": metrics["steps"]}, indent=1))
    return 0
