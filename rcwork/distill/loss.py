"""The three loss terms of reflection self-distillation, computed from one forward pass.

``loss = w_ntp * NTP(teacher) + w_student * NTP(student, final answer) + w_kl * KL(p_teacher || p_student)``

* NTP(teacher): next-token cross-entropy on every trained token of the teacher samples
  ``[RI, RS, I, FC]`` (and of instruction pairs, which get only this term);
* NTP(student): cross-entropy of the final answer (and eos) as the masked student predicts it;
* KL: ``sum_v p_t(v) (log p_t(v) - log p_s(v))`` at the same final-answer positions, with the
  teacher's distribution detached (the paper's code: ``kl_div(log_softmax(s), softmax(t).detach())``).

Three normalisations (:data:`NORMALIZATIONS`, ``DistillConfig.loss_normalization``):

* ``per_term`` — each term a token mean over the whole batch;
* ``joint`` — one token mean over both NTP terms' tokens of the whole batch (instruction pairs
  included), plus the KL's final-token mean;
* ``per_sample`` — the authors' averaging: their README trains with one sample per device and
  gradient accumulation (SenseLLM/ReflectionCoder ``README.md`` line 64:
  ``--per_device_train_batch_size 1 … --gradient_accumulation_steps 32``), so each sample's loss is
  its *own* joint token mean of teacher and student NTP plus its own final-token KL mean
  (``src/utils/trainer.py`` lines 251–273: the model's label loss over the two rows of one
  sample, plus ``kl_div(…, batchmean)``), an instruction pair's loss its own token mean, and the
  step averages samples.

:func:`loss_sums` returns sums and counts (and per-sample sums) instead, so the trainer can
normalise by the counts of the whole global batch (every micro-batch on every rank), which makes
a distributed or accumulated run's loss equal to a single-process run's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch
import torch.nn.functional as F

from rcwork.distill.batching import (DistillBatch, DistillItem, final_target_count, make_batch,
                                     ntp_target_count)
from rcwork.distill.layout import Layout, layout, model_inputs, resolve_layout
from rcwork.encoding import IGNORE, EncodedRecord, encode_pair, encode_record
from rcwork.records import InstructionPair, ReflectionRecord


NORMALIZATIONS = ("per_term", "joint", "per_sample")


@dataclass
class LossSums:
    """Each term's sum over the batch's target tokens, and the same per sample (in item order).

    ``item_*`` let the authors' per-sample averaging be computed from the one forward pass:
    a sample's terms are sums over its own targets, ``item_ntp_tokens`` / ``item_final_tokens``
    their counts (``item_final_tokens`` is 0 for an instruction pair or an undistilled item).
    """

    ntp: torch.Tensor
    student_ntp: torch.Tensor
    kl: torch.Tensor
    ntp_tokens: int
    final_tokens: int
    item_ntp: torch.Tensor | None = None
    item_student_ntp: torch.Tensor | None = None
    item_kl: torch.Tensor | None = None
    item_ntp_tokens: list[int] = field(default_factory=list)
    item_final_tokens: list[int] = field(default_factory=list)

    def per_sample_sum(self, ntp_weight: float = 1.0, student_weight: float = 1.0,
                       kl_weight: float = 1.0) -> torch.Tensor:
        """Σ over this batch's samples of each sample's own loss, the authors' per-sample loss:
        ``(w_ntp·NTP_i + w_st·NTP^student_i) / (teacher targets_i + final targets_i) +
        w_kl·KL_i / final targets_i``.  Divide by the number of samples for the mean."""
        if self.item_ntp is None:
            raise ValueError("per-sample sums were not computed for this batch")
        device = self.item_ntp.device
        ntp_n = torch.tensor(self.item_ntp_tokens, dtype=torch.float32, device=device)
        fin_n = torch.tensor(self.item_final_tokens, dtype=torch.float32, device=device)
        nll = ntp_weight * self.item_ntp + student_weight * self.item_student_ntp
        per = nll / (ntp_n + fin_n).clamp(min=1) + kl_weight * self.item_kl / fin_n.clamp(min=1)
        # The batch terms carry every logit with weight 0 (see _per_token_losses).
        return per.sum() + 0.0 * (self.ntp + self.student_ntp + self.kl)


@dataclass
class LossTerms:
    """Per-token means; ``total`` weights them (the paper: all weights 1)."""

    ntp: torch.Tensor
    student_ntp: torch.Tensor
    kl: torch.Tensor
    ntp_tokens: int
    final_tokens: int
    sums: LossSums | None = None

    def total(self, ntp_weight: float = 1.0, student_weight: float = 1.0,
              kl_weight: float = 1.0, normalization: str = "per_term") -> torch.Tensor:
        """``per_term``: each NTP term is its own token mean over the batch.  ``joint``: one
        token mean over the batch's teacher and student NTP targets together, so a student
        token weighs what a teacher token does.  The KL is a final-token mean either way.
        ``per_sample`` (the authors'): each sample's joint mean plus its own KL mean, averaged
        over the batch's samples."""
        if normalization == "per_sample":
            if self.sums is None:
                raise ValueError("per_sample needs the per-sample sums (use loss_terms)")
            return self.sums.per_sample_sum(ntp_weight, student_weight, kl_weight) / max(
                len(self.sums.item_ntp_tokens), 1)
        if normalization == "joint":
            nll = (ntp_weight * self.ntp * self.ntp_tokens
                   + student_weight * self.student_ntp * self.final_tokens)
            return nll / max(self.ntp_tokens + self.final_tokens, 1) + kl_weight * self.kl
        if normalization != "per_term":
            raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got "
                             f"{normalization!r}")
        return ntp_weight * self.ntp + student_weight * self.student_ntp + kl_weight * self.kl

    def as_floats(self) -> dict[str, float]:
        return {"ntp": self.ntp.item(), "student_ntp": self.student_ntp.item(),
                "kl": self.kl.item()}


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The transformers model inside DDP / DeepSpeed wrappers."""
    while hasattr(model, "module") and isinstance(model.module, torch.nn.Module):
        model = model.module
    return model


def forward_logits(model: torch.nn.Module, batch: DistillBatch, *, student_form: str = "dropped",
                   layout_mode: str = "auto", student_pass: bool | None = None
                   ) -> tuple[torch.Tensor, Layout]:
    """The batch's forward call(s); logits only where a loss needs them.

    Returns ``(logits, layout)`` with ``logits`` of shape ``(kept positions, vocab)``.
    ``model`` may be wrapped (DDP, DeepSpeed): the call goes through the wrapper so gradient
    synchronisation and ZeRO parameter gathering work as usual; ``student_pass=True`` keeps the
    number of calls the same on every rank (see :func:`~rcwork.distill.layout.layout`).
    """
    core = unwrap(model)
    impl = getattr(core.config, "_attn_implementation", None)
    mode = resolve_layout(layout_mode, impl)
    pad = core.config.pad_token_id if core.config.pad_token_id is not None else 0
    lay = layout(batch, student_form, mode, pad_token_id=pad, student_pass=student_pass)
    param = next(core.parameters())
    parts = []
    for p in lay.passes:
        logits = model(**model_inputs(p, impl, param.dtype, param.device)).logits
        if logits.dim() != 2 or logits.shape[0] != int(p.keep.sum()):
            raise RuntimeError(f"{type(core).__name__} ignored logits_to_keep as a boolean mask; "
                               "distillation needs transformers >= 5")
        parts.append(logits)
    # A placeholder's logits sit after every real pass's, so no index points at them; the
    # loss still sums all logits with weight 0, which keeps them in the backward pass.
    return (parts[0] if len(parts) == 1 else torch.cat(parts)), lay


def _per_token_losses(logits: torch.Tensor, lay: Layout
                      ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(weight-0 sum of every logit, NTP per teacher target, student NTP and KL per final
    target), the targets in the layout's order: item by item."""
    lf = logits.float()
    # Every logit in the graph, with weight 0: a term without tokens, or a placeholder call,
    # still takes part in the backward pass (as every rank's collectives must).
    zero = lf.sum() * 0.0
    empty = lf.new_zeros(0)
    if len(lay.ntp_index):
        ntp = F.cross_entropy(lf[lay.ntp_index.to(lf.device)], lay.ntp_target.to(lf.device),
                              reduction="none")
    else:
        ntp = empty
    if len(lay.student_index):
        student = lf[lay.student_index.to(lf.device)]
        teacher = lf[lay.teacher_index.to(lf.device)].detach()
        st = F.cross_entropy(student, lay.student_target.to(lf.device), reduction="none")
        kl = F.kl_div(F.log_softmax(student, -1), F.log_softmax(teacher, -1), log_target=True,
                      reduction="none").sum(-1)
    else:
        st = kl = empty
    return zero, ntp, st, kl


def _sums_from_logits(logits: torch.Tensor, lay: Layout
                      ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The three terms' sums over a layout's targets (every logit in the graph, weight 0)."""
    zero, ntp, st, kl = _per_token_losses(logits, lay)
    return ntp.sum() + zero, st.sum() + zero, kl.sum() + zero


def _split_sums(values: torch.Tensor, counts: list[int]) -> torch.Tensor:
    """Sums of consecutive runs of ``values`` of the given lengths (a run may be empty)."""
    if sum(counts) != values.shape[0]:
        raise RuntimeError(f"{values.shape[0]} loss targets but the samples count {sum(counts)}")
    owner = torch.repeat_interleave(torch.arange(len(counts), device=values.device),
                                    torch.tensor(counts, device=values.device))
    return values.new_zeros(len(counts)).index_add(0, owner, values)


def loss_sums(model: torch.nn.Module, batch: DistillBatch, *, student_form: str = "dropped",
              layout_mode: str = "auto", student_pass: bool | None = None) -> LossSums:
    """The three terms' sums over the batch (and per sample), from one forward pass."""
    logits, lay = forward_logits(model, batch, student_form=student_form, layout_mode=layout_mode,
                                 student_pass=student_pass)
    zero, ntp, st, kl = _per_token_losses(logits, lay)
    ntp_counts = [ntp_target_count(it.sample) for it in batch.items]
    final_counts = [final_target_count(it.sample) if it.distilled else 0 for it in batch.items]
    return LossSums(ntp.sum() + zero, st.sum() + zero, kl.sum() + zero, len(lay.ntp_index),
                    len(lay.student_index), item_ntp=_split_sums(ntp, ntp_counts),
                    item_student_ntp=_split_sums(st, final_counts),
                    item_kl=_split_sums(kl, final_counts), item_ntp_tokens=ntp_counts,
                    item_final_tokens=final_counts)


def loss_terms(model: torch.nn.Module, batch: DistillBatch, student_form: str = "dropped", *,
               layout_mode: str = "auto") -> LossTerms:
    """NTP(teacher), NTP(student, final answer) and KL(teacher || student), each a token mean."""
    s = loss_sums(model, batch, student_form=student_form, layout_mode=layout_mode)
    return LossTerms(s.ntp / max(s.ntp_tokens, 1), s.student_ntp / max(s.final_tokens, 1),
                     s.kl / max(s.final_tokens, 1), s.ntp_tokens, s.final_tokens, sums=s)


def student_final_logits(model: torch.nn.Module, batch: DistillBatch,
                         student_form: str = "dropped", *, layout_mode: str = "auto"
                         ) -> torch.Tensor:
    """The student's logits at the final-answer positions, in item then position order."""
    logits, lay = forward_logits(model, batch, student_form=student_form, layout_mode=layout_mode)
    return logits[lay.student_index.to(logits.device)]


@torch.no_grad()
def heldout_metrics(model: torch.nn.Module, tokenizer, records: Sequence[ReflectionRecord],
                    *, max_len: int | None = None, batch_size: int = 4) -> dict[str, float]:
    """How a model does on held-out records.

    ``nll_final_given_instruction``: mean per-token NLL of the final answer (and eos) given only
    the instruction, laid out as at test time (``bos, I, FC, eos``) — the number distillation
    should lower.  ``ntp``, ``student_ntp`` and ``kl`` are the training terms with the whole
    reflection hidden (rate 1).
    """
    core = unwrap(model)
    was_training = core.training
    core.eval()
    sums = dict(ntp=0.0, student_ntp=0.0, kl=0.0, nll=0.0)
    counts = dict(ntp=0, final=0, nll=0)
    try:
        enc = [r if isinstance(r, EncodedRecord) else encode_record(r, tokenizer, max_len=max_len)
               for r in records]
        for i in range(0, len(enc), batch_size):
            s = loss_sums(model, make_batch(enc[i:i + batch_size], strategy="all", rate=1.0))
            sums["ntp"] += float(s.ntp)
            sums["student_ntp"] += float(s.student_ntp)
            sums["kl"] += float(s.kl)
            counts["ntp"] += s.ntp_tokens
            counts["final"] += s.final_tokens
        pairs = [encode_pair(InstructionPair(r.source_instruction, r.final), tokenizer)
                 for r in records if isinstance(r, ReflectionRecord)]
        for i in range(0, len(pairs), batch_size):
            batch = DistillBatch([DistillItem(p, None, j) for j, p in
                                  enumerate(pairs[i:i + batch_size])])
            s = loss_sums(model, batch)
            sums["nll"] += float(s.ntp)
            counts["nll"] += s.ntp_tokens
    finally:
        core.train(was_training)
    out = {"records": len(records),
           "ntp": sums["ntp"] / max(counts["ntp"], 1),
           "student_ntp": sums["student_ntp"] / max(counts["final"], 1),
           "kl": sums["kl"] / max(counts["final"], 1)}
    if counts["nll"]:
        out["nll_final_given_instruction"] = sums["nll"] / counts["nll"]
    return out
