"""Train the distillation trainer for a few steps on the tiny model; write the per-step logs.

Run alone (one process, the reference) or under ``torchrun --nproc_per_node N`` (DDP over gloo),
optionally with ``--deepspeed configs/deepspeed/zero2.json`` / ``zero3.json``.  With the same
global batch (``--batch`` per process x processes x ``--accum``) every layout must log the same
losses: tests/test_distill_distributed.py compares them.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

import torch

torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

from rcwork.distill.data import build_training_data  # noqa: E402
from rcwork.distill.toy import toy_pairs, toy_records  # noqa: E402
from rcwork.distill.trainer import DistillConfig, DistillTrainer, save_for_evaluation  # noqa: E402
from rcwork.models import load_model  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True, help="JSON file for the log history (rank 0)")
    p.add_argument("--batch", type=int, default=2, help="per-process micro-batch")
    p.add_argument("--accum", type=int, default=1)
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--records", type=int, default=16)
    p.add_argument("--deepspeed", default=None)
    p.add_argument("--strategy", default="random_block")
    p.add_argument("--normalization", default="per_term", help="DistillConfig.loss_normalization")
    p.add_argument("--save", default=None, help="save_pretrained folder at the end")
    a = p.parse_args()

    model, tok = load_model("tiny", seed=0)
    data = build_training_data([("toy", toy_records(a.records))], toy_pairs(4), tok, k=1,
                               max_len=4096)
    with tempfile.TemporaryDirectory() as tmp:
        args = DistillConfig(
            output_dir=tmp, use_cpu=True, per_device_train_batch_size=a.batch,
            gradient_accumulation_steps=a.accum, max_steps=a.steps, learning_rate=2e-3,
            warmup_steps=0, strategy=a.strategy, seed=0, report_to="none", save_strategy="no",
            loss_normalization=a.normalization,
            logging_steps=1, disable_tqdm=True, deepspeed=a.deepspeed, dataloader_num_workers=0,
            ddp_backend="gloo" if int(os.environ.get("WORLD_SIZE", "1")) > 1 else None)
        trainer = DistillTrainer(model=model, args=args, train_dataset=data.train,
                                 processing_class=tok)
        trainer.train()
        if a.save:
            save_for_evaluation(trainer, a.save)
        if trainer.is_world_process_zero():
            with open(a.out, "w") as fh:
                json.dump({"world_size": args.world_size, "log_history": trainer.state.log_history},
                          fh)
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
