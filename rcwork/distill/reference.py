"""The attention-mask student as the paper's code runs it, for comparison and benchmarks.

ReflectionCoder's trainer puts the teacher and the student in one batch as two rows of the same
(right-padded) tokens; the student row's 2-D ``attention_mask`` is 0 on its hidden tokens, so no
token attends them; the model computes full-vocabulary logits at every position of both rows.
:func:`paper_loss_terms` does exactly that and returns the same three terms as
:func:`rcwork.distill.loss.loss_terms`, which must agree with it; the benchmark
(``benchmarks/bench_student_forms.py``) times the two.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from rcwork.distill.batching import DistillBatch
from rcwork.distill.loss import LossTerms, unwrap
from rcwork.encoding import IGNORE


def paper_inputs(batch: DistillBatch, pad_token_id: int = 0) -> dict[str, torch.Tensor]:
    """``input_ids`` (2B, L), 2-D ``attention_mask`` (teacher rows, then student rows), and the
    teacher's labels and the student's final-answer labels (B, L)."""
    items = [it for it in batch.items if it.distilled]
    if len(items) != len(batch.items):
        raise ValueError("the paper's layout holds reflection records only (no NTP-only items)")
    B, L = len(items), max(len(it.sample) for it in items)
    ids = torch.full((B, L), pad_token_id, dtype=torch.long)
    teacher_mask = torch.zeros((B, L), dtype=torch.long)
    student_mask = torch.zeros((B, L), dtype=torch.long)
    labels = torch.full((B, L), IGNORE, dtype=torch.long)
    final = torch.full((B, L), IGNORE, dtype=torch.long)
    for b, it in enumerate(items):
        s = it.sample
        n = len(s)
        ids[b, :n] = torch.tensor(s.input_ids)
        teacher_mask[b, :n] = 1
        student_mask[b, :n] = torch.tensor([0 if h else 1 for h in it.hidden])
        labels[b, :n] = torch.tensor(s.labels)
        final[b, :n] = torch.tensor(s.final_labels)
    return {"input_ids": torch.cat([ids, ids]),
            "attention_mask": torch.cat([teacher_mask, student_mask]),
            "labels": labels, "final_labels": final}


def paper_loss_terms(model: torch.nn.Module, batch: DistillBatch) -> LossTerms:
    core = unwrap(model)
    pad = core.config.pad_token_id if core.config.pad_token_id is not None else 0
    x = paper_inputs(batch, pad)
    device = next(core.parameters()).device
    out = model(input_ids=x["input_ids"].to(device), attention_mask=x["attention_mask"].to(device),
                use_cache=False)
    teacher, student = torch.chunk(out.logits.float(), 2, dim=0)
    labels = x["labels"][:, 1:].to(device)
    final = x["final_labels"][:, 1:].to(device)
    teacher, student = teacher[:, :-1], student[:, :-1]
    V = teacher.shape[-1]
    ntp = F.cross_entropy(teacher.reshape(-1, V), labels.reshape(-1), ignore_index=IGNORE)
    st = F.cross_entropy(student.reshape(-1, V), final.reshape(-1), ignore_index=IGNORE)
    sel = final != IGNORE
    kl = F.kl_div(F.log_softmax(student[sel], -1), F.softmax(teacher[sel], -1).detach(),
                  reduction="batchmean")
    return LossTerms(ntp, st, kl, int((labels != IGNORE).sum()), int(sel.sum()))
