"""Reflection self-distillation with dynamically masked students (ReflectionCoder, §3.2).

Public API:

* :func:`make_batch` — teacher samples with the student's mask at a rate, plus NTP-only pairs;
* :func:`loss_terms` — NTP(teacher), NTP(student, final answer), KL(teacher || student);
* :func:`hidden_tokens`, :func:`mask_rate` — the masks, as plain functions;
* :class:`DistillConfig`, :class:`DistillTrainer` — the ``transformers.Trainer`` that trains it.

The trainer is imported lazily, so ``import rcwork.distill`` stays cheap.
"""

from rcwork.distill.batching import DistillBatch, DistillItem, make_batch
from rcwork.distill.loss import LossTerms, heldout_metrics, loss_terms, student_final_logits
from rcwork.distill.masks import ORDERS, STRATEGIES, hidden_tokens, mask_rate

__all__ = ["DistillBatch", "DistillItem", "make_batch", "LossTerms", "loss_terms",
           "student_final_logits", "heldout_metrics", "hidden_tokens", "mask_rate", "ORDERS",
           "STRATEGIES", "DistillConfig", "DistillTrainer"]


def __getattr__(name):
    if name in ("DistillConfig", "DistillTrainer"):
        from rcwork.distill import trainer

        return getattr(trainer, name)
    raise AttributeError(f"module 'rcwork.distill' has no attribute {name!r}")
