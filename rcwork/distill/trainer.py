"""The distillation trainer: a thin ``transformers.Trainer`` subclass (TRL style).

Only the loss is new.  DeepSpeed (ZeRO-2/3), bf16, activation checkpointing, the cosine schedule
with warm-up, TensorBoard logging, checkpoints and resume all come from ``Trainer`` and its
``TrainingArguments``, which :class:`DistillConfig` extends with the method's knobs.

Per optimizer step:

1. the mask rate is ``current step / max_steps`` (the step being taken, counted from 1, so the
   last step trains at rate 1 as in the paper's code);
2. each sample's student mask is drawn from ``(seed, step, sample_id)``
   (:func:`rcwork.distill.batching.mask_item`);
3. one forward pass gives the three terms (:mod:`rcwork.distill.loss`), each normalised by its
   token count over the *global* batch (all micro-batches, all ranks) — or, for ``per_sample``,
   each sample by its own counts and the samples by their number in the global batch — so
   gradient accumulation and data parallelism give the same loss and gradients as one process
   with the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer, TrainingArguments

from rcwork.checkpoints import write_checkpoint_info
from rcwork.distill.batching import DistillBatch, final_target_count, items_from, ntp_target_count
from rcwork.distill.data import ABLATIONS, DistillDataset, LengthGroupedSampler, collate
from rcwork.distill.layout import LAYOUTS, STUDENT_FORMS
from rcwork.distill.loss import NORMALIZATIONS, heldout_metrics, loss_sums
from rcwork.distill.masks import (DEFAULT_ORDER, NAMED_ORDERS, STRATEGIES, check_strategy,
                                  mask_rate, resolve_order, step_strategy)
from rcwork.stage_files import DistillMetrics


from rcwork.paths import SEED_RECORDS, resolve_paths  # noqa: E402  (relative paths: rcwork.paths)


@dataclass
class DistillConfig(TrainingArguments):
    """The distillation stage's one configuration: ``TrainingArguments`` plus the method's knobs
    and the stage's inputs.  ``rcwork distill`` flags, notebook 04's ``config`` parameter and the
    pipeline profiles are all overrides of these fields (``rcwork.stages``); defaults follow the
    paper where it says, else what the CPU lesson measured."""

    model: str = field(default="embedded", metadata={
        "help": "tiny, embedded, a save_pretrained folder or a hub id"})
    data: list[str] = field(default_factory=lambda: [SEED_RECORDS], metadata={
        "help": "reflection records: .jsonl/.parquet files or folders of them; several are "
                "mixed, and each one's count is written to metrics.json"})
    data_errors: str = field(default="raise", metadata={
        "help": "raise: a bad record line stops the run with file:line:field; skip: skip it "
                "and count it (per input, in metrics.json)"})
    instruction_data: str = field(default="", metadata={
        "help": "instruction pairs (JSONL) mixed in with NTP loss only"})
    heldout: float = field(default=0.2, metadata={
        "help": "held-out records: a fraction (< 1) or a count (>= 1)"})
    attn: str = field(default="auto", metadata={
        "help": "attention implementation: auto (flash_attention_2 when installed on a GPU, "
                "else the model's), sdpa, eager, flash_attention_2"})
    threads: int = field(default=0, metadata={"help": "torch CPU threads (0: leave as is)"})
    resume: str = field(default="", metadata={
        "help": "a Trainer checkpoint folder, or 'last' for the newest in output_dir that has "
                "steps left (none: start afresh)"})
    loss_normalization: str = field(default="per_term", metadata={
        "help": "per_term: each term its own token mean over the global batch; joint: one "
                "token mean over the global batch's teacher and student NTP targets together; "
                "per_sample: the authors' averaging (one sample per device and gradient "
                "accumulation): each sample's joint NTP mean plus its own KL mean, samples "
                "averaged.  The KL is a mean over final-answer tokens in every case "
                "(docs/method.md, 'Normalisation')"})
    strategy: str = field(default="block", metadata={
        "help": f"mask strategy: {', '.join(STRATEGIES)}"})
    order: str = field(default=DEFAULT_ORDER, metadata={
        "help": "block kinds in masking order for strategy=block (E execution, A analysis "
                "text, C code), e.g. EAC, or a name: "
                + ", ".join(f"{k} = {v}" for k, v in NAMED_ORDERS.items())
                + " (the authors' README command uses --block_order tce)"})
    upsample_k: int = field(default=2, metadata={
        "help": "each reflection record appears k times per epoch (paper: 2)"})
    ntp_weight: float = field(default=1.0, metadata={"help": "weight of NTP(teacher)"})
    student_weight: float = field(default=1.0, metadata={
        "help": "weight of NTP(student, final answer)"})
    kl_weight: float = field(default=1.0, metadata={"help": "weight of KL(teacher || student)"})
    student_form: str = field(default="dropped", metadata={
        "help": "dropped (masked tokens removed, positions kept) or attention (same tokens, "
                "masked ones not attended)"})
    layout: str = field(default="auto", metadata={
        "help": "auto (varlen packing with flash-attention, else packed rows), rows, padded, "
                "varlen"})
    max_len: int = field(default=1024, metadata={
        "help": "samples longer than this are rejected (counted, never truncated) when the "
                "data is encoded; 1024 keeps the CPU lesson short, a GPU run wants more"})
    ablation: str = field(default="none", metadata={
        "help": "none; all_mask (w/o dynamic mask); no_distill (NTP on reflection data only); "
                "no_reflection (instruction data only)"})
    token_init: str = field(default="stand_ins", metadata={
        "help": "where the paper's new tokens' embedding rows start: stand_ins (rcwork: the "
                "mean of the chat-format text playing each token's part), subwords (the "
                "authors: the mean of the sub-words of the token's own string), mean "
                "(transformers' mean resizing)"})
    heldout_batch_size: int = field(default=4, metadata={"help": "batch size of held-out eval"})
    measure_before: bool = field(default=True, metadata={
        "help": "measure the held-out losses of the untrained model too (a sweep measures "
                "them once for all its points and turns this off)"})
    measure_after: bool = field(default=True, metadata={
        "help": "measure the held-out losses of the trained model (a sweep measures the "
                "held-out NLL per record itself and turns this off)"})
    # TrainingArguments fields with different defaults here.
    output_dir: str = "runs/distill"
    learning_rate: float = 1e-4
    num_train_epochs: float = 1.0
    per_device_train_batch_size: int = 2
    report_to: None | str | list[str] = "tensorboard"
    disable_tqdm: bool = True
    save_strategy: str = "no"
    remove_unused_columns: bool = False  # batches are lists of encoded samples
    lr_scheduler_type: str = "cosine"
    warmup_steps: float = 0.1
    train_sampling_strategy: str = "group_by_length"
    logging_steps: float = 1
    ddp_find_unused_parameters: bool | None = False  # every parameter is used in every step

    def __post_init__(self):
        self.order = resolve_order(self.order)
        check_strategy(self.strategy, self.order)
        if self.student_form not in STUDENT_FORMS:
            raise ValueError(f"student_form must be one of {STUDENT_FORMS}, got "
                             f"{self.student_form!r}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {self.layout!r}")
        if self.ablation not in ABLATIONS:
            raise ValueError(f"ablation must be one of {ABLATIONS}, got {self.ablation!r}")
        if self.loss_normalization not in NORMALIZATIONS:
            raise ValueError(f"loss_normalization must be one of {NORMALIZATIONS}, got "
                             f"{self.loss_normalization!r}")
        if isinstance(self.data, str):
            self.data = [self.data]
        resolve_paths(self, ("data", "instruction_data", "output_dir")
                      + (("resume",) if self.resume != "last" else ())
                      + (("deepspeed",) if isinstance(self.deepspeed, str) else ()))
        from rcwork.models import TOKEN_INITS

        if self.token_init not in TOKEN_INITS:
            raise ValueError(f"token_init must be one of {TOKEN_INITS}, got {self.token_init!r}")
        if self.data_errors not in ("raise", "skip"):
            raise ValueError(f"data_errors must be raise or skip, got {self.data_errors!r}")
        if self.ablation == "all_mask":
            self.strategy = "all"
        import torch

        if not torch.cuda.is_available():
            self.use_cpu = True
        super().__post_init__()

    @property
    def distill(self) -> bool:
        """Whether reflection samples get a student (NTP + KL) or NTP only."""
        return self.ablation in ("none", "all_mask")


class DistillTrainer(Trainer):
    """``Trainer`` with the distillation loss; ``eval_dataset`` is a list of held-out
    :class:`~rcwork.records.ReflectionRecord` and evaluation reports
    :func:`~rcwork.distill.loss.heldout_metrics`."""

    # compute_loss normalises by the global batch's token counts itself.
    loss_is_scaled_for_ga = True

    def __init__(self, model=None, args: DistillConfig | None = None, train_dataset=None,
                 eval_dataset=None, processing_class=None, **kwargs):
        if args is None:
            raise ValueError("DistillTrainer needs a DistillConfig")
        kwargs.setdefault("data_collator", collate)
        super().__init__(model=model, args=args, train_dataset=train_dataset,
                         eval_dataset=eval_dataset, processing_class=processing_class, **kwargs)
        self._global_counts: tuple[float, float, float] | None = None
        self._terms = torch.zeros(3, dtype=torch.float64)
        self._term_steps: set[int] = set()
        self._rate = 0.0

    # ---- data ---------------------------------------------------------------------------

    def _get_train_sampler(self, train_dataset=None):
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        if (self.args.train_sampling_strategy == "group_by_length"
                and isinstance(dataset, DistillDataset)):
            global_batch = (self.args.per_device_train_batch_size * self.args.world_size
                            * self.args.gradient_accumulation_steps)
            seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
            return LengthGroupedSampler(dataset.lengths, global_batch, seed)
        return super()._get_train_sampler(train_dataset)

    def get_batch_samples(self, epoch_iterator, num_batches, device):
        """Prefetch an optimizer step's micro-batches (as Trainer does) and count the loss
        targets over all of them, on all ranks."""
        batch_samples, num_items = super().get_batch_samples(epoch_iterator, num_batches, device)
        ntp = final = samples = 0
        for b in batch_samples:
            for e in b["samples"]:
                samples += 1
                ntp += ntp_target_count(e["sample"])
                if e["distill"] and self.args.distill:
                    final += final_target_count(e["sample"])
        counts = torch.tensor([ntp, final, samples], dtype=torch.float64, device=device)
        if self.accelerator.num_processes > 1:
            counts = self.accelerator.reduce(counts, reduction="sum")
        self._global_counts = (float(counts[0]), float(counts[1]), float(counts[2]))
        return batch_samples, num_items

    # ---- loss ---------------------------------------------------------------------------

    def current_rate(self) -> float:
        if self.args.strategy == "all":
            return 1.0
        return mask_rate(self.state.global_step + 1, self.state.max_steps)

    def make_batch(self, samples: list[dict]) -> DistillBatch:
        rate = self.current_rate()
        step = self.state.global_step
        # ``three`` draws one block strategy per step from (seed, step); others pass through.
        strategy = step_strategy(self.args.strategy, self.args.seed, step)
        items = items_from(samples, strategy=strategy, order=self.args.order, rate=rate,
                           seed=self.args.seed, step=step, distill=self.args.distill)
        return DistillBatch(items, rate, strategy, self.args.order)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        batch = self.make_batch(inputs["samples"])
        sums = loss_sums(model, batch, student_form=self.args.student_form,
                         layout_mode=self.args.layout, student_pass=self.args.distill)
        if self._global_counts is not None and model.training:
            n_ntp, n_final, n_samples = self._global_counts
            # DDP and DeepSpeed average gradients over ranks; undo it, the counts are global.
            scale = self.accelerator.num_processes
        else:
            n_ntp, n_final, scale = sums.ntp_tokens, sums.final_tokens, 1
            n_samples = len(batch.items)
        ntp = sums.ntp * (scale / max(n_ntp, 1))
        student = sums.student_ntp * (scale / max(n_final, 1))
        kl = sums.kl * (scale / max(n_final, 1))
        if self.args.loss_normalization == "per_sample":
            # The authors' averaging: each sample its own joint mean (+ its KL mean), and the
            # step the mean of its samples.
            loss = sums.per_sample_sum(self.args.ntp_weight, self.args.student_weight,
                                       self.args.kl_weight) * (scale / max(n_samples, 1))
        elif self.args.loss_normalization == "joint":
            # One cross-entropy mean over both rows' targets of the whole global batch.
            nll = (self.args.ntp_weight * sums.ntp + self.args.student_weight * sums.student_ntp)
            loss = nll * (scale / max(n_ntp + n_final, 1)) + self.args.kl_weight * kl
        else:
            loss = (self.args.ntp_weight * ntp + self.args.student_weight * student
                    + self.args.kl_weight * kl)
        if model.training:
            self._terms += torch.stack([ntp, student, kl]).detach().double().cpu()
            self._term_steps.add(self.state.global_step)
            self._rate = batch.rate
        if return_outputs:
            return loss, {"ntp": ntp, "student_ntp": student, "kl": kl}
        return loss

    def floating_point_ops(self, inputs: dict[str, Any]) -> int:
        tokens = sum(len(e["sample"]) * (2 if e["distill"] else 1) for e in inputs["samples"])
        return 6 * tokens * self.model.num_parameters(exclude_embeddings=True)

    # ---- logging and evaluation ---------------------------------------------------------

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs and self._term_steps:
            terms = self._terms.to(self.args.device)
            if self.accelerator.num_processes > 1:
                terms = self.accelerator.gather(terms).view(-1, 3).mean(0)
            terms = terms.cpu() / len(self._term_steps)
            logs["ntp"], logs["student_ntp"], logs["kl"] = (round(float(t), 6) for t in terms)
            if self.args.distill:
                logs["mask_rate"] = round(self._rate, 6)
            self._terms.zero_()
            self._term_steps.clear()
        super().log(logs, start_time)

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval"
                 ) -> dict[str, float]:
        records = eval_dataset if eval_dataset is not None else self.eval_dataset
        if not records:
            return {}
        m = heldout_metrics(self.model, self.processing_class, records, max_len=self.args.max_len,
                            batch_size=self.args.heldout_batch_size)
        metrics = {f"{metric_key_prefix}_{k}": v for k, v in m.items()}
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control,
                                                         metrics)
        return metrics


def choose_attention(model, requested: str = "auto") -> str:
    """Set the model's attention implementation: ``auto`` picks flash-attention 2 when it is
    installed and a GPU is there (packed varlen batches, no padding), else keeps the model's
    (sdpa).  Flash-attention computes in bf16/fp16: train with ``bf16=True``."""
    current = getattr(model.config, "_attn_implementation", None) or "sdpa"
    if requested == "auto":
        from transformers.utils import is_flash_attn_2_available

        requested = ("flash_attention_2" if torch.cuda.is_available()
                     and is_flash_attn_2_available() else current)
    if requested != current:
        model.set_attn_implementation(requested)
    return requested


# ---- outputs: checkpoint and metrics ----------------------------------------------------


def save_for_evaluation(trainer: DistillTrainer, path: str | Path) -> Path:
    """A ``save_pretrained`` folder with the tokenizer (and the reflection tokens) that
    :func:`rcwork.models.load_model` loads; under ZeRO-3 the weights are gathered first."""
    path = Path(path)
    trainer.save_model(str(path))  # gathers ZeRO-3 shards, writes on the main process only
    if trainer.is_world_process_zero():
        if trainer.processing_class is not None:
            trainer.processing_class.save_pretrained(str(path))
        gen = getattr(trainer.model, "generation_config", None)
        if gen is not None:
            gen.save_pretrained(str(path))
        # Trained on the paper's text format: evaluate it with the paper's test prompt.
        write_checkpoint_info(path, prompt_style="paper", trained_by="rcwork distill",
                              base_model=trainer.args.model)
    return path


def training_curves(log_history: list[dict]) -> dict[str, list]:
    """Per-step series from ``trainer.state.log_history``: loss, each term, rate, lr, held-out."""
    keys = ("loss", "ntp", "student_ntp", "kl", "mask_rate", "learning_rate", "grad_norm")
    curves: dict[str, list] = {"step": []}
    curves.update({k: [] for k in keys})
    heldout: dict[str, list] = {"step": []}
    for entry in log_history:
        if "loss" in entry and "step" in entry:
            curves["step"].append(entry["step"])
            for k in keys:
                curves[k].append(entry.get(k))
        elif any(k.startswith("eval_") for k in entry):
            heldout["step"].append(entry.get("step"))
            for k, v in entry.items():
                if k.startswith("eval_"):
                    heldout.setdefault(k[5:], []).append(v)
    curves["heldout"] = heldout
    return curves


def write_metrics(path: str | Path, *, trainer: DistillTrainer, before: dict | None,
                  after: dict | None, extra: dict | None = None) -> DistillMetrics:
    """``metrics.json``: configuration, training curves, held-out losses before and after."""
    args = trainer.args
    train_log = [e for e in trainer.state.log_history if "train_runtime" in e]
    metrics = DistillMetrics.from_dict({
        "config": {k: getattr(args, k) for k in (
            "model", "data", "instruction_data", "heldout", "strategy", "order", "upsample_k",
            "loss_normalization", "ntp_weight", "student_weight", "kl_weight", "student_form",
            "layout", "max_len", "ablation", "learning_rate", "num_train_epochs", "max_steps",
            "per_device_train_batch_size", "gradient_accumulation_steps", "seed")},
        "steps": trainer.state.global_step,
        "max_steps": trainer.state.max_steps,
        "curves": training_curves(trainer.state.log_history),
        "heldout": {"before": before, "after": after},
        "train_runtime_s": train_log[-1]["train_runtime"] if train_log else None,
        **(extra or {}),
    }, source=str(path))
    metrics.write(path)
    return metrics
